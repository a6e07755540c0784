"""The skorch net: reconstruction loss and training callbacks."""

import math
from collections.abc import Mapping

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, LRScheduler
from skorch.utils import to_tensor


class AutoencoderNet(NeuralNet):
    """A skorch ``NeuralNet`` whose target is its own input.

    Only documented hooks are overridden: :meth:`get_loss` compares the
    reconstruction, the first output of the module, with the input batch
    (over real time steps only when ``X`` is a dict ``{"x": padded,
    "lengths": lengths}`` of sequences of different lengths, which skorch
    passes to the module as keyword arguments; for an ensemble's stacked
    reconstructions, the mean of its members' losses), and
    :meth:`initialize_module`
    re-draws the weights from a ``torch.Generator`` seeded by
    ``random_state`` so that no global seed is touched.

    Parameters
    ----------
    *args, **kwargs
        Passed to :class:`skorch.NeuralNet`.
    random_state : int or None, default=None
        Seed of the generator used to initialise the module's weights.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_lstmae._module import LSTMAutoencoder
    >>> from sklearn_lstmae._net import AutoencoderNet
    >>> net = AutoencoderNet(
    ...     LSTMAutoencoder, module__n_features=1, module__hidden_size=4,
    ...     module__latent_size=2, criterion=torch.nn.L1Loss, max_epochs=1,
    ...     train_split=None, verbose=0, random_state=0,
    ... )
    >>> net = net.fit(np.zeros((8, 5, 1), dtype=np.float32), None)
    >>> reconstruction, code = net.forward(np.zeros((2, 5, 1), dtype=np.float32))
    >>> reconstruction.shape
    torch.Size([2, 5, 1])
    """

    def __init__(self, *args, random_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.random_state = random_state

    def initialize_module(self):
        super().initialize_module()
        if self.random_state is not None:
            generator = torch.Generator().manual_seed(int(self.random_state))
            self.module_.reset_parameters(generator)
        return self

    def get_iterator(self, dataset, training=False):
        """skorch's iterator; a scoring pass sets its own rows per batch.

        The data of a scoring pass (``_inference._ModelInput``) says how many
        rows to read at once; training and the held-out loss keep
        ``batch_size``.
        """
        rows = getattr(getattr(dataset, "X", None), "rows_per_batch", None)
        if training or rows is None:
            return super().get_iterator(dataset, training=training)
        return self.iterator_valid(dataset, batch_size=rows)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The reconstruction loss; for an ensemble's stacked reconstructions
        (one more axis than the input), the mean of its members' losses."""
        y_pred = y_pred[0]  # the module returns (reconstruction, code, ...)
        n_dims = (X["x"] if isinstance(X, Mapping) else X).ndim
        members = y_pred if y_pred.dim() > n_dims else y_pred[None]
        return torch.stack([self._member_loss(m, X) for m in members]).mean()

    def _member_loss(self, y_pred, X):
        if isinstance(X, Mapping):
            return self._padded_loss(y_pred, X)
        return self.criterion_(y_pred, to_tensor(X, device=self.device))

    def _padded_loss(self, y_pred, X):
        """The criterion's mean over the real (not padded) values of the batch.

        The prediction is replaced by the target at padded steps, so that they
        add nothing to the loss nor to its gradient; the criterion's mean over
        every value is then rescaled to a mean over the real values.
        """
        x = to_tensor(X["x"], device=self.device)
        lengths = to_tensor(X["lengths"], device=self.device)
        steps = torch.arange(x.shape[1], device=x.device)
        real = (steps[None, :] < lengths[:, None]).unsqueeze(2)
        loss = self.criterion_(torch.where(real, y_pred, x), x)
        return loss * (x.shape[1] / lengths.sum()) * x.shape[0]


class ArrayBatches:
    """Mini-batches of an in-memory skorch ``Dataset``, one slice per batch.

    A stand-in for :class:`torch.utils.data.DataLoader`, passed to skorch
    as ``iterator_train`` and ``iterator_valid``: instead of indexing the
    dataset one sequence at a time and collating the results, each batch is
    one fancy-indexing of the array (or of each array of a dict), which
    costs a few microseconds instead of a millisecond per batch. That matters
    on a GPU, where a training step of the default model takes a few
    milliseconds. With ``shuffle=True`` the order is a permutation drawn from
    ``generator`` with the draws ``DataLoader`` makes
    from it, so the batches are those ``DataLoader``
    would give with the same generator. The target is ``None``: the net
    compares the reconstruction with the input.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Dataset whose ``X`` is an array or a dict of arrays of equal length.
    batch_size : int, default=1
        Sequences per batch (the last batch may be smaller).
    shuffle : bool, default=False
        Whether to draw a new order for each pass.
    generator : torch.Generator or None, default=None
        Source of the order when ``shuffle=True``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch.dataset import Dataset
    >>> from sklearn_lstmae._net import ArrayBatches
    >>> batches = ArrayBatches(Dataset(np.arange(5.0)), batch_size=2)
    >>> [x.tolist() for x, _ in batches], len(batches)
    ([[0.0, 1.0], [2.0, 3.0], [4.0]], 3)
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, generator=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        X, n, size = self.dataset.X, len(self.dataset), self.batch_size
        order = None
        if self.shuffle:
            # The draws of DataLoader(shuffle=True): its workers' base seed,
            # then RandomSampler's permutation, then a second permutation that
            # RandomSampler draws for its (here empty) remainder.
            torch.empty((), dtype=torch.int64).random_(generator=self.generator)
            order = torch.randperm(n, generator=self.generator).numpy()
            torch.randperm(n, generator=self.generator)
        for start in range(0, n, size):
            rows = (
                slice(start, start + size)
                if order is None
                else order[start : start + size]
            )
            if isinstance(X, Mapping):
                yield {key: value[rows] for key, value in X.items()}, None
            else:
                yield X[rows], None


class FiniteLossGuard(Callback):
    """Stop training with a clear error as soon as a batch loss is not finite."""

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        loss = loss.item() if loss is not None else 0.0
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"The reconstruction loss became {loss} during epoch "
                f"{len(net.history)}; training was stopped. Scale the input "
                "(standardize=True), lower `lr` or check the data for extreme "
                "values."
            )


class PicklableLRScheduler(LRScheduler):
    """skorch's ``LRScheduler``, minus its torch scheduler when pickled.

    The torch scheduler holds the optimizer, so pickling it would store the
    optimizer's tensors a second time outside the state that skorch maps to
    the CPU when CUDA is missing: a net trained on CUDA could then not be
    unpickled on a CPU-only machine (skorch issue #1096). The scheduler is
    rebuilt from ``net.optimizer_`` in ``on_train_begin``, so dropping it
    loses nothing (as ``EarlyStopping`` drops its copy of the weights).
    """

    def __getstate__(self):
        state = self.__dict__.copy()
        state["lr_scheduler_"] = None
        return state
