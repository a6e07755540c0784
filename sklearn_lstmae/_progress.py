"""Progress shown while a detector trains and scores, from ``verbose=1``.

Level 1: a tqdm bar over the epochs of each fit (epochs done, the losses,
tqdm's elapsed time and time left) and a passing bar over the batches of a
scoring pass of more than one batch. Level 2 adds skorch's per-epoch table.
Bars go to stderr (tqdm's default); at level 0 nothing is printed.
"""

import tqdm
from skorch.callbacks import Callback

# History keys shown after the bar, when the epoch has them.
_LOSS_KEYS = ("train_loss", "valid_loss")


class EpochProgressBar(Callback):
    """A tqdm bar over a skorch net's epochs, the epoch's losses after it.

    skorch's ``ProgressBar`` counts the batches of one epoch; this bar counts
    epochs up to ``max_epochs``, which is what a fit's time left depends on.
    skorch calls ``on_train_end`` also when early stopping or a Ctrl-C ends
    training (by ``KeyboardInterrupt``), so the bar is closed at the epoch
    reached. The bar is not kept once closed, nor pickled.

    Parameters
    ----------
    desc : str, default="training"
        The bar's label.
    """

    def __init__(self, desc="training"):
        self.desc = desc

    def on_train_begin(self, net, **kwargs):
        self._close()
        self.pbar_ = tqdm.tqdm(total=net.max_epochs, desc=self.desc, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        losses = {key: epoch[key] for key in _LOSS_KEYS if key in epoch}
        self.pbar_.set_postfix(losses, refresh=False)
        self.pbar_.update()

    def on_train_end(self, net, **kwargs):
        self._close()

    def _close(self):
        pbar = vars(self).pop("pbar_", None)
        if pbar is not None:
            pbar.close()

    def __getstate__(self):
        # An open bar holds its stream and a lock, which do not pickle.
        state = self.__dict__.copy()
        state.pop("pbar_", None)
        return state


def write(text):
    """Print ``text`` to stdout above any open bar (skorch's log sink)."""
    tqdm.tqdm.write(text)


def progress_callbacks(verbose, desc):
    """The net's callbacks that show progress: the epoch bar from level 1."""
    return [("progress", EpochProgressBar(desc))] if verbose >= 1 else []


def net_verbose(verbose):
    """The net's own ``verbose``: skorch's per-epoch table from level 2."""
    return int(verbose >= 2)


def log_sink(verbose):
    """Where skorch's callbacks print: above the epoch bar from level 2.

    skorch prints through a sink other than ``print`` whatever the net's
    ``verbose``, so ``print`` (silenced by ``verbose=0``) is kept below it.
    """
    return write if verbose >= 2 else print


def scoring_progress(batches, n_batches, verbose):
    """``batches``, through a bar that clears itself when ``verbose`` and
    there is more than one."""
    if not verbose or n_batches < 2:
        return batches
    return tqdm.tqdm(
        batches, total=n_batches, desc="scoring", unit="batch", leave=False
    )
