"""Which rows of the training data train the net and which are held out."""

import numpy as np
from sklearn.model_selection import train_test_split

from ._validation import _check_y

_MIN_HELD_OUT = 2  # fewer held-out rows than this: no split, no early stopping


def _training_rows(y, n_samples):
    """Indices of the rows to train on: those not labelled -1."""
    if y is None:
        return np.arange(n_samples)
    rows = np.flatnonzero(_check_y(y, n_samples))
    if rows.size == 0:
        raise ValueError("Every row of X is labelled -1: nothing to train on.")
    return rows


def _take(X, rows):
    """``X[rows]``, or ``X`` itself when ``rows`` are all of its rows in order."""
    return X if rows.size == X.shape[0] else X[rows]


def _split(rows, validation_fraction, seed):
    """The training and held-out rows among ``rows``."""
    n_held = int(round(validation_fraction * rows.size))
    if n_held < _MIN_HELD_OUT or rows.size - n_held < 1:
        return rows, rows[:0]
    return train_test_split(rows, test_size=n_held, random_state=seed)
