"""Input checks turning user data into (n_samples, n_timesteps, n_channels)."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array, validate_data

from ._ragged import _Ragged

_EXPECTED = (
    "X must be a 2-D array (n_samples, n_timesteps) or a 3-D array "
    "(n_samples, n_timesteps, n_channels)"
)


def _check_sequences(estimator, X, *, reset):
    """Validate ``X``: a 3-D float32 or float64 array (or a ``_Ragged``).

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

    The checks on what makes a sequence (its dtype, its number of
    dimensions, of time steps and of channels) come first, with messages in
    terms of sequences; the data that passes them goes through scikit-learn's
    ``validate_data``, whose own errors (non-finite values, no rows, feature
    names, values that are not numbers) are raised as they are.

    A list (or tuple) of sequences of different lengths is checked by
    :func:`_check_ragged` and returned padded, as a ``_Ragged``. A list of
    sequences of one length is an ordinary array-like and takes the path
    above, so it gives exactly the results of the equivalent array, except
    when a fitted detector scores it and that length is not the training
    length: a list holds sequences, and sequences of any length can be
    scored, whatever the lengths of the training sequences happened to be.
    Only an array must have as many time steps as the training array.
    """
    if _is_ragged(X) or (not reset and _is_other_length_list(estimator, X)):
        return _check_ragged(estimator, X, reset=reset)
    if isinstance(X, (list, tuple)):
        # A list has no dtype; take numpy's (float64 for Python floats) rather
        # than check_array's first choice (float32), so that a list of arrays
        # gives exactly the results of the array it stacks into.
        X = np.asarray(X)
    if sp.issparse(X):
        raise TypeError(
            "Sparse input is not supported: LSTMAutoencoderDetector needs a dense "
            "array of shape (n_samples, n_timesteps) or "
            "(n_samples, n_timesteps, n_channels). Use X.toarray()."
        )
    if not hasattr(X, "shape"):
        # An array-like that is not an array (nor a DataFrame, whose column
        # names validate_data reads): convert it once, as check_array would.
        X = np.asarray(X)
    _check_dtype(X)
    _check_shape(estimator, tuple(X.shape), reset=reset)
    X = validate_data(estimator, X, reset=reset, allow_nd=True, dtype="numeric")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    if reset:
        estimator.n_timesteps_, estimator.n_channels_ = X.shape[1], X.shape[2]
    return X


def _check_dtype(X):
    """Reject strings, bytes and complex numbers, by the dtype of ``X``.

    The dtypes of a DataFrame's columns are read without converting it, so
    that ``validate_data`` still sees its column names. Inputs without a
    dtype (or with an object dtype) are left to ``validate_data``, which
    converts them element by element.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or isinstance(dtypes, np.dtype):
        dtypes = [getattr(X, "dtype", None)]
    kinds = {getattr(dtype, "kind", None) for dtype in dtypes}
    if kinds & {"U", "S"}:
        raise ValueError(
            f"Strings are not supported (X has a string dtype): {_EXPECTED} of "
            "real numbers. Convert numbers written as text with X.astype(float)."
        )
    if "c" in kinds:
        raise ValueError(f"Complex data not supported: {_EXPECTED} of real numbers.")


def _check_shape(estimator, shape, *, reset):
    """Check the number of dimensions, time steps and channels of a shape.

    Scoring (``reset=False``) needs the training number of channels and,
    unless the detector was fitted on sequences of different lengths
    (``n_timesteps_`` is None), the training number of time steps.
    """
    ndim = len(shape)
    if ndim == 0:
        raise ValueError(f"{_EXPECTED}, got a scalar (0-D).")
    if ndim == 1:
        raise ValueError(
            f"{_EXPECTED}, got a 1-D array of shape {shape}. Reshape your data: "
            "a single univariate sequence is X.reshape(1, -1)."
        )
    if ndim > 3:
        raise ValueError(f"{_EXPECTED}, got a {ndim}-D array of shape {shape}.")
    n_timesteps, n_channels = shape[1], shape[2] if ndim == 3 else 1
    # The messages on time steps also name them as scikit-learn's features
    # (one per time step, n_features_in_), in the words of scikit-learn's
    # messages, which its estimator checks look for.
    if n_timesteps == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={shape}) while a minimum of 1 "
            f"is required by {type(estimator).__name__}: each feature is a time "
            "step, and sequences need at least one time step."
        )
    if n_channels == 0:
        raise ValueError(f"Found array with 0 channels (shape={shape}).")
    if reset:
        return
    name = type(estimator).__name__
    fitted_timesteps = getattr(estimator, "n_timesteps_", None)
    if fitted_timesteps is not None and n_timesteps != fitted_timesteps:
        raise ValueError(
            f"X has {n_timesteps} features, but {name} is expecting "
            f"{fitted_timesteps} features as input: each feature is a time step, "
            f"and the detector was fitted on sequences of {fitted_timesteps} time "
            f"steps (expected shape (n_samples, {fitted_timesteps}) or "
            f"(n_samples, {fitted_timesteps}, {estimator.n_channels_})). A list "
            "of sequences of any length can be scored."
        )
    if n_channels != estimator.n_channels_:
        raise ValueError(
            f"X has {n_channels} channel(s) per time step, but {name} was fitted "
            f"on {estimator.n_channels_}: expected shape "
            f"(n_samples, {fitted_timesteps or 'n_timesteps'}, "
            f"{estimator.n_channels_})."
        )


def _is_ragged(X):
    """Whether ``X`` is a list or tuple of sequences of different lengths."""
    if not isinstance(X, (list, tuple)) or len(X) < 2:
        return False
    try:
        lengths = {len(x) for x in X}
    except TypeError:  # scalars: an ordinary (malformed) array-like
        return False
    return len(lengths) > 1


def _is_other_length_list(estimator, X):
    """Whether ``X`` is a list of sequences of another length than at fit."""
    if not isinstance(X, (list, tuple)) or not X or estimator.n_timesteps_ is None:
        return False
    try:
        return len(X[0]) != estimator.n_timesteps_
    except TypeError:  # scalars: an ordinary (malformed) array-like
        return False


def _check_ragged(estimator, X, *, reset):
    """Validate a list of sequences of different lengths.

    Each sequence is an array-like of shape (length,) (univariate) or
    (length, n_channels); all must have the same number of dimensions and of
    channels and at least one time step. On ``reset`` the estimator records
    ``n_timesteps_ = None`` (no fixed length) and ``n_channels_``, and drops
    ``n_features_in_`` and ``feature_names_in_``, which have no meaning for
    sequences of different lengths. Otherwise the sequences must have as
    many channels as the training ones; their lengths are free.
    """
    name = type(estimator).__name__
    sequences = []
    for i, x in enumerate(X):
        if sp.issparse(x):
            raise TypeError(f"Sequence {i} of X is sparse; pass dense arrays.")
        x = check_array(
            x,
            ensure_2d=False,
            dtype=np.float64,
            input_name=f"sequence {i} of X",
        )
        if i == 0:
            ndim = x.ndim
        if x.ndim != ndim:  # check_array has refused more than 2 dimensions
            raise ValueError(
                "Each sequence of X must be 1-D (length,) or 2-D (length, "
                f"n_channels), all alike; sequence {i} has shape {x.shape} and "
                f"sequence 0 has shape {np.shape(X[0])}."
            )
        sequences.append(x if x.ndim == 2 else x[:, np.newaxis])
    n_channels = {x.shape[1] for x in sequences}
    if len(n_channels) > 1:
        raise ValueError(
            f"Every sequence of X must have the same number of channels, got "
            f"{sorted(n_channels)}."
        )
    n_channels = n_channels.pop()
    if n_channels == 0:
        raise ValueError("Found sequences with 0 channels.")
    if reset:
        estimator.n_timesteps_, estimator.n_channels_ = None, n_channels
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, attr):
                delattr(estimator, attr)
    elif n_channels != estimator.n_channels_:
        raise ValueError(
            f"X has {n_channels} channel(s) per time step, but {name} was "
            f"fitted on {estimator.n_channels_}."
        )
    return _Ragged.from_list(sequences, univariate=ndim == 1)


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
