"""Input checks turning user data into (n_samples, n_timesteps, n_channels)."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

_EXPECTED = (
    "X must be a 2-D array (n_samples, n_timesteps) or a 3-D array "
    "(n_samples, n_timesteps, n_channels)"
)


def _check_sequences(estimator, X, *, reset):
    """Validate ``X`` and return it as a 3-D float32 or float64 array.

    A 2-D input (n_samples, n_timesteps) is one univariate series per row; a
    3-D input (n_samples, n_timesteps, n_channels) is multivariate. On
    ``reset`` the shape is recorded (``n_timesteps_``, ``n_channels_``);
    otherwise it must match what was recorded, with an error naming both.

    The rules: at least one row and at least one time step and channel (a
    single row or a single time step is accepted); finite values only;
    float32 and float64 are kept, other numeric dtypes (integers, booleans,
    float16) become float64, object arrays are converted element by element
    as scikit-learn does (an element that is not a number raises), string
    and bytes arrays and complex numbers are rejected.
    """
    if sp.issparse(X):
        raise TypeError(
            "Sparse input is not supported: LSTMAutoencoderDetector needs a dense "
            "array of shape (n_samples, n_timesteps) or "
            "(n_samples, n_timesteps, n_channels). Use X.toarray()."
        )
    try:
        X = validate_data(
            estimator,
            X,
            reset=reset,
            allow_nd=True,
            dtype="numeric",
        )
    except ValueError as exc:
        message = str(exc)
        if not reset and "is expecting" in message:
            raise ValueError(
                f"{exc} Each column is a time step: the model was fitted on "
                f"sequences of {estimator.n_timesteps_} time steps."
            ) from exc
        if message.startswith("Expected 2D array, got"):
            raise ValueError(
                f"{message.splitlines()[0]} {_EXPECTED}. Reshape your data: a "
                "single univariate sequence is X.reshape(1, -1)."
            ) from exc
        if "bytes/strings" in message:
            raise ValueError(
                f"Strings are not supported (X has a string dtype): {_EXPECTED} "
                "of real numbers. Convert numbers written as text with "
                "X.astype(float)."
            ) from exc
        if message.startswith("Complex data not supported"):
            raise ValueError(
                f"Complex data not supported: {_EXPECTED} of real numbers."
            ) from exc
        if "0 feature(s)" in message:
            raise ValueError(
                f"{message} Each column is a time step: sequences need at least "
                "one time step."
            ) from exc
        raise
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim > 3:
        raise ValueError(
            f"Expected a 2-D array (n_samples, n_timesteps) or a 3-D array "
            f"(n_samples, n_timesteps, n_channels), got {X.ndim}-D with shape "
            f"{X.shape}."
        )
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    if X.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 time steps (shape={X.shape}): sequences need at "
            "least one time step."
        )
    if X.shape[2] == 0:
        raise ValueError(f"Found array with 0 channels (shape={X.shape}).")
    if reset:
        estimator.n_timesteps_, estimator.n_channels_ = X.shape[1], X.shape[2]
    elif X.shape[2] != estimator.n_channels_:
        raise ValueError(
            f"X has {X.shape[2]} channel(s) per time step, but "
            f"{type(estimator).__name__} was fitted on {estimator.n_channels_}: "
            f"expected shape (n_samples, {estimator.n_timesteps_}, "
            f"{estimator.n_channels_})."
        )
    return X


def _check_y(y, n_samples):
    """Return a boolean mask of the rows to train on (those not labelled -1).

    Labels follow ``predict``: 1 normal, -1 outlier. A ``y`` without any -1 is
    ignored, as every scikit-learn outlier detector ignores ``y``, but with a
    warning when it holds other labels (0/1 labels would otherwise train on
    the outliers silently). A ``y`` with -1 must hold nothing but 1 and -1.
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(
            f"y must be 1-D with one label per sequence ({n_samples}), got shape "
            f"{y.shape}."
        )
    labels = np.unique(y)
    known = np.isin(labels, [-1, 1])
    if known.all():
        return y != -1
    message = (
        "y must label normal rows 1 and outliers -1 (the convention of "
        f"predict), got labels {labels[:10].tolist()}"
    )
    if np.isin(-1, labels):
        raise ValueError(message + ".")
    warnings.warn(
        message + "; without any -1 label, y is ignored and every row is used "
        "for training.",
        UserWarning,
        stacklevel=3,
    )
    return np.ones(n_samples, dtype=bool)
