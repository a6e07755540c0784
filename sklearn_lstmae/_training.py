"""The training recipe: the skorch net a detector trains, and its schedule."""

import warnings

import torch
from skorch.callbacks import EarlyStopping, GradientNormClipping
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from ._module import LSTMAutoencoder, LSTMAutoencoderEnsemble
from ._net import ArrayBatches, AutoencoderNet, FiniteLossGuard, PicklableLRScheduler
from ._progress import log_sink, net_verbose, progress_callbacks

_LOSSES = {"l1": torch.nn.L1Loss, "mse": torch.nn.MSELoss}
# max_epochs="auto": about this many optimizer steps, within these epochs;
# the larger cap applies without early stopping, where the step budget alone
# decides how long a small training set is trained.
_AUTO_STEPS, _AUTO_MIN_EPOCHS = 3000, 20
_AUTO_MAX_EPOCHS, _AUTO_MAX_EPOCHS_UNSTOPPED = 100, 400
# Without early stopping, training sets of fewer values than this get a cap
# in proportion, down to the floor: the network learns a small set by heart
# long before 400 epochs, and training it further ranks new sequences worse.
_AUTO_FULL_CAP_VALUES, _AUTO_MIN_CAP_UNSTOPPED = 10_000, 150
# patience="auto": this many epochs, with at least this many held-out rows;
# the loss of fewer is too noisy to stop on.
_AUTO_PATIENCE, _MIN_STOPPING_ROWS = 10, 20
# Share of the optimizer steps spent raising the learning rate to `lr`.
_WARMUP_SHARE = 0.05


# patch_size="auto": the recurrence runs over at most this many steps, with
# patches of at least two time steps.
_AUTO_RECURRENCE, _MIN_AUTO_PATCH = 70, 2


def _resolve_patch_size(patch_size, n_timesteps):
    """Time steps per LSTM step for training sequences of ``n_timesteps``."""
    if patch_size != "auto":
        return patch_size
    return max(_MIN_AUTO_PATCH, -(-n_timesteps // _AUTO_RECURRENCE))


def _resolve_patience(patience, n_held):
    """Early-stopping patience in epochs, or None for no early stopping."""
    if n_held == 0:
        return None
    if patience == "auto":
        return _AUTO_PATIENCE if n_held >= _MIN_STOPPING_ROWS else None
    return patience


def _unstopped_cap(n_values):
    """The "auto" epoch cap without early stopping, for ``n_values`` values."""
    cap = -(-_AUTO_MAX_EPOCHS_UNSTOPPED * n_values // _AUTO_FULL_CAP_VALUES)
    return min(_AUTO_MAX_EPOCHS_UNSTOPPED, max(_AUTO_MIN_CAP_UNSTOPPED, cap))


def _resolve_max_epochs(max_epochs, n_batches, early_stopping, n_values):
    """Epochs to train: ``max_epochs``, or the "auto" rule's step budget.

    ``n_values``: the training set's values (real time steps times
    channels, summed over its sequences).
    """
    if max_epochs != "auto":
        return max_epochs
    cap = _AUTO_MAX_EPOCHS if early_stopping else _unstopped_cap(n_values)
    epochs = -(-_AUTO_STEPS // n_batches)
    return min(cap, max(_AUTO_MIN_EPOCHS, epochs))


def _warmup_share(total_steps):
    """``_WARMUP_SHARE``, except where OneCycleLR cannot take it.

    OneCycleLR divides by its warm-up's length in steps minus one, so a
    warm-up of exactly one step raises ``ZeroDivisionError``; it gets two.
    """
    if _WARMUP_SHARE * total_steps == 1:
        return 2 / total_steps
    return _WARMUP_SHARE


def _make_net(
    params,
    *,
    n_features,
    n_train,
    n_values,
    patch_size,
    valid,
    seed,
    device,
    desc="training",
):
    """The unfitted skorch net for a detector's parameters.

    ``params``: the detector's ``get_params()`` (``n_members`` above one:
    a :class:`LSTMAutoencoderEnsemble`); ``n_train``: training rows, holding
    ``n_values`` values;
    ``patch_size``: the resolved patch width;
    ``valid``: the held-out rows in model space (an array or the dict of
    padded values and lengths), or None for no held-out loss and no early
    stopping; ``desc``: the label of the epoch bar (``verbose >= 1``).
    Adam under a one-cycle schedule stepped every batch, gradient
    norms clipped at 1, a non-finite loss stops training, early stopping
    restores the best epoch.
    """
    batch_size = params["batch_size"]
    pool_states = params["code_distance"] and params["code_features"] == "pooled_states"
    n_batches = -(-n_train // batch_size)
    valid = None if valid is None else Dataset(valid, None)
    patience = _resolve_patience(params["patience"], 0 if valid is None else len(valid))
    max_epochs = _resolve_max_epochs(
        params["max_epochs"], n_batches, patience is not None, n_values
    )
    total_steps = max_epochs * n_batches
    verbose = params["verbose"]
    # The bar comes before early stopping, which ends training from its
    # on_epoch_end: the bar then counts the last epoch too.
    callbacks = [
        *progress_callbacks(verbose, desc),
        ("finite_loss", FiniteLossGuard()),
        ("clip", GradientNormClipping(gradient_clip_value=1.0)),
        (
            "lr_schedule",
            PicklableLRScheduler(
                policy=torch.optim.lr_scheduler.OneCycleLR,
                max_lr=params["lr"],
                total_steps=total_steps,
                pct_start=_warmup_share(total_steps),
                step_every="batch",
            ),
        ),
    ]
    if patience is not None:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    patience=patience, load_best=True, sink=log_sink(verbose)
                ),
            )
        )
    n_members = params["n_members"]
    members = {} if n_members == 1 else {"module__n_members": n_members}
    return AutoencoderNet(
        LSTMAutoencoder if n_members == 1 else LSTMAutoencoderEnsemble,
        **members,
        module__n_features=n_features,
        module__hidden_size=params["hidden_size"],
        module__latent_size=params["latent_size"],
        module__num_layers=params["num_layers"],
        module__dropout=params["dropout"],
        module__bidirectional=params["bidirectional"],
        module__patch_size=patch_size,
        module__pool_states=pool_states,
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
        verbose=net_verbose(verbose),
        callbacks__print_log__sink=log_sink(verbose),
        random_state=seed,
    )


def _complete_epochs(net):
    """Epochs a skorch net finished (an interrupted one has no train loss)."""
    return sum("train_loss" in row for row in net.history)


def _was_interrupted(net):
    """Whether a Ctrl-C cut the net's training short.

    skorch ends training by ``KeyboardInterrupt`` both when early stopping
    triggers and when the user presses Ctrl-C, and swallows it; fewer
    epochs than ``max_epochs`` without early stopping means the latter.
    """
    stopper = dict(net.callbacks_).get("early_stopping")
    stopped_early = stopper is not None and stopper.misses_ >= stopper.patience
    return _complete_epochs(net) < net.max_epochs and not stopped_early


def _warn_if_interrupted(net):
    """The complete epochs; a ``UserWarning`` if a Ctrl-C cut training short."""
    n_epochs = _complete_epochs(net)
    if _was_interrupted(net):
        warnings.warn(
            f"Training was interrupted (KeyboardInterrupt) after {n_epochs} of "
            f"{net.max_epochs} epochs. The detector is fitted with the weights "
            "learned so far and a threshold computed from them; call fit "
            "again to train fully.",
            UserWarning,
            stacklevel=4,
        )
    return n_epochs


def _trained_loss(net):
    """The name of the loss ``net`` was built with (a detector's ``loss``
    may have been set to another since)."""
    return next(name for name, cls in _LOSSES.items() if cls is net.criterion)
