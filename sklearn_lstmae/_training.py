"""The training recipe: the skorch net a detector trains, and its schedule."""

import torch
from skorch.callbacks import EarlyStopping, GradientNormClipping
from skorch.helper import predefined_split

from ._module import LSTMAutoencoder
from ._net import ArrayBatches, AutoencoderNet, FiniteLossGuard, PicklableLRScheduler

_LOSSES = {"l1": torch.nn.L1Loss, "mse": torch.nn.MSELoss}
# max_epochs="auto": about this many optimizer steps, within these epochs.
_AUTO_STEPS, _AUTO_MIN_EPOCHS, _AUTO_MAX_EPOCHS = 3000, 20, 100
# Share of the optimizer steps spent raising the learning rate to `lr`.
_WARMUP_SHARE = 0.05


def _resolve_max_epochs(max_epochs, n_batches):
    """Epochs to train: ``max_epochs``, or the "auto" rule's step budget."""
    if max_epochs != "auto":
        return max_epochs
    epochs = -(-_AUTO_STEPS // n_batches)
    return min(_AUTO_MAX_EPOCHS, max(_AUTO_MIN_EPOCHS, epochs))


def _make_net(params, *, n_features, n_train, valid, seed, device):
    """The unfitted skorch net for a detector's parameters.

    ``params``: the detector's ``get_params()``; ``n_train``: training rows;
    ``valid``: a skorch ``Dataset`` of held-out rows (already in model
    space), or None for no held-out loss and no early stopping. Adam under a
    one-cycle schedule stepped every batch, gradient norms clipped at 1, a
    non-finite loss stops training, early stopping restores the best epoch.
    """
    batch_size = params["batch_size"]
    n_batches = -(-n_train // batch_size)
    max_epochs = _resolve_max_epochs(params["max_epochs"], n_batches)
    callbacks = [
        ("finite_loss", FiniteLossGuard()),
        ("clip", GradientNormClipping(gradient_clip_value=1.0)),
        (
            "lr_schedule",
            PicklableLRScheduler(
                policy=torch.optim.lr_scheduler.OneCycleLR,
                max_lr=params["lr"],
                total_steps=max_epochs * n_batches,
                pct_start=_WARMUP_SHARE,
                step_every="batch",
            ),
        ),
    ]
    if valid is not None and params["patience"] is not None:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(patience=params["patience"], load_best=True),
            )
        )
    return AutoencoderNet(
        LSTMAutoencoder,
        module__n_features=n_features,
        module__hidden_size=params["hidden_size"],
        module__latent_size=params["latent_size"],
        module__num_layers=params["num_layers"],
        module__dropout=params["dropout"],
        module__bidirectional=params["bidirectional"],
        module__patch_size=params["patch_size"],
        criterion=_LOSSES[params["loss"]],
        optimizer=torch.optim.Adam,
        lr=params["lr"],
        max_epochs=max_epochs,
        batch_size=min(batch_size, n_train),
        train_split=None if valid is None else predefined_split(valid),
        iterator_train=ArrayBatches,
        iterator_valid=ArrayBatches,
        iterator_train__shuffle=True,
        iterator_train__generator=torch.Generator().manual_seed(seed),
        callbacks=callbacks,
        device=device,
        verbose=params["verbose"],
        random_state=seed,
        precision=params["precision"],
        noise_std=params["noise_std"],
    )
