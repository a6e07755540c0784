"""The ECG5000 heartbeat dataset: loader and reader of the UCR text format."""

import warnings

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._base import ENV_VAR, _fetch_zip_members, get_data_home

ECG5000_URL = "https://www.timeseriesclassification.com/aeon-toolkit/ECG5000.zip"
TRAIN_FILE = "ECG5000_TRAIN.txt"
TEST_FILE = "ECG5000_TEST.txt"
# Known sha256 of the archive's own files, checked after each download.
ECG5000_SHA256 = {
    TRAIN_FILE: "0d96aff193311a6dc6111bf0dbd2f7d2313987fbf7a1da4a383d92563876057b",
}
N_TIMESTEPS = 140
FEATURE_NAMES = [f"t{i:03d}" for i in range(N_TIMESTEPS)]
_DOWNLOAD_TIMEOUT = 60.0
_SUBSETS = ("train", "test", "all")

_DESCR = """\
ECG5000
=======

5,000 heartbeats of {n_timesteps} samples each from one patient with severe
congestive heart failure (PhysioNet BIDMC chfdb, record chf07), every beat
interpolated to the same length; from the UCR/UEA time series classification
archive. Official split: 500 train beats, 4,500 test beats.

Labels: 1 Normal, 2 R-on-T PVC, 3 PVC, 4 Supra-ventricular premature or
ectopic beat, 5 Unclassified beat. Some copies label anomalous beats 0 when
their class is unknown. Label 1 is normal; any other label is an anomaly
(``is_anomaly``). ``target`` keeps the labels exactly as written in the files.

This subset ("{subset}"): {n} beats, {n_normal} normal, {n_anomalous} anomalous.
Read from: {source}
"""


def _read_ucr_txt(path):
    """Read a UCR/UEA text file: one series a line, the label first.

    Returns
    -------
    X : ndarray of shape (n_rows, n_values), dtype float64
    labels : ndarray of shape (n_rows,), dtype int64

    Raises
    ------
    ValueError
        If the file is empty, ragged, not numeric, holds NaN or infinity, or
        has a non-integral label; the message names the file.
    """
    bad = f"{path} is not a valid UCR text file"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no data": checked below
            table = np.loadtxt(path, dtype=np.float64, comments=None, ndmin=2)
    except ValueError as exc:
        reason = str(exc).split(";")[0]
        raise ValueError(
            f"{bad}: {reason} (every row must hold a label then the same number "
            "of whitespace-separated numbers)."
        ) from exc
    if table.shape[0] == 0 or table.shape[1] < 2:
        raise ValueError(f"{bad}: it holds no rows with a label and values.")
    if not np.isfinite(table).all():
        row = int(np.flatnonzero(~np.isfinite(table).all(axis=1))[0])
        raise ValueError(f"{bad}: NaN or infinite value at row {row + 1}.")
    labels = table[:, 0]
    if not np.array_equal(labels, np.round(labels)):
        row = int(np.flatnonzero(labels != np.round(labels))[0])
        raise ValueError(
            f"{bad}: label {float(labels[row]):g} at row {row + 1} is not an integer."
        )
    return np.ascontiguousarray(table[:, 1:]), labels.astype(np.int64)


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}.")


def _ensure_files(directory, download):
    """Make sure both files are in ``directory``, downloading when allowed."""
    missing = [
        name for name in (TRAIN_FILE, TEST_FILE) if not (directory / name).is_file()
    ]
    if not missing:
        return
    if not download:
        raise FileNotFoundError(
            f"ECG5000 data not found: {' and '.join(missing)} missing from "
            f"{directory}. Pass download=True to download it from {ECG5000_URL}, "
            f"or set data_home (or the {ENV_VAR} environment variable) to a "
            f"directory holding {TRAIN_FILE} and {TEST_FILE}."
        )
    _fetch_zip_members(
        ECG5000_URL,
        directory,
        (TRAIN_FILE, TEST_FILE),
        checksums=ECG5000_SHA256,
        timeout=_DOWNLOAD_TIMEOUT,
    )


def _read_split(path):
    X, labels = _read_ucr_txt(path)
    if X.shape[1] != N_TIMESTEPS:
        raise ValueError(
            f"{path} holds {X.shape[1]} values per row after the label; ECG5000 "
            f"beats have {N_TIMESTEPS}."
        )
    return X, labels


def load_ecg5000(
    *, data_home=None, subset="all", download=True, return_X_y=False, as_frame=False
):
    """Load the ECG5000 heartbeat dataset (UCR/UEA archive).

    5,000 beats of 140 samples from one patient: 500 train, 4,500 test.
    Label 1 is a normal beat, any other label an anomaly (classes 2 to 5,
    or 0 in copies that do not record the anomaly class).

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Directory holding ``ECG5000_TRAIN.txt`` and ``ECG5000_TEST.txt``.
        ``None`` uses :func:`get_data_home` (the ``SKLEARN_LSTMAE_DATA``
        environment variable, then the user cache directory).
    subset : {"train", "test", "all"}, default="all"
        Which split to return; "all" is the train rows then the test rows.
    download : bool, default=True
        If a file is missing, download the official archive from
        ``ECG5000_URL`` into the directory, verify it and extract both files.
        If False, a missing file raises FileNotFoundError.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a DataFrame with columns ``t000`` to ``t139``,
        ``target`` a Series named "target", and ``frame`` a DataFrame of the
        features, ``target``, ``is_anomaly`` and ``split``.

    Returns
    -------
    data : sklearn.utils.Bunch
        With ``data`` (float64 ndarray of shape (n_samples, 140) or
        DataFrame), ``target`` (int64 labels as written in the files, or a
        Series), ``is_anomaly`` (bool ndarray, label != 1), ``split`` (str
        ndarray of "train" / "test"), ``feature_names`` (list of str),
        ``frame`` (DataFrame, or None unless ``as_frame``) and ``DESCR``
        (str).
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``subset`` is not one of the choices, or a file is malformed.
    FileNotFoundError
        If a file is missing and ``download`` is False.
    PermissionError
        If the directory cannot be written to for a download.
    OSError
        If the download fails: network or HTTP error, timeout, truncated
        transfer, corrupt archive, missing member or checksum mismatch.

    Examples
    --------
    >>> from sklearn_lstmae.datasets import load_ecg5000
    >>> bunch = load_ecg5000(subset="train")  # doctest: +SKIP
    >>> bunch.data.shape, int(bunch.is_anomaly.sum())  # doctest: +SKIP
    ((500, 140), 208)
    >>> X, y = load_ecg5000(return_X_y=True)  # doctest: +SKIP
    """
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {list(_SUBSETS)}, got {subset!r}.")
    for name, value in [
        ("download", download),
        ("return_X_y", return_X_y),
        ("as_frame", as_frame),
    ]:
        _check_bool(name, value)
    directory = get_data_home(data_home)
    _ensure_files(directory, download)

    splits = ["train", "test"] if subset == "all" else [subset]
    paths = [directory / (TRAIN_FILE if s == "train" else TEST_FILE) for s in splits]
    parts = [_read_split(path) for path in paths]
    X = np.concatenate([X for X, _ in parts])
    target = np.concatenate([y for _, y in parts])
    split = np.repeat(np.array(splits), [len(y) for _, y in parts])
    is_anomaly = target != 1

    frame = None
    if as_frame:
        frame = pd.DataFrame(X, columns=FEATURE_NAMES)
        frame["target"] = target
        frame["is_anomaly"] = is_anomaly
        frame["split"] = split
        X, target = frame[FEATURE_NAMES], frame["target"]
    if return_X_y:
        return X, target
    descr = _DESCR.format(
        n_timesteps=N_TIMESTEPS,
        subset=subset,
        n=len(is_anomaly),
        n_normal=int((~is_anomaly).sum()),
        n_anomalous=int(is_anomaly.sum()),
        source=", ".join(str(path) for path in paths),
    )
    return Bunch(
        data=X,
        target=target,
        is_anomaly=is_anomaly,
        split=split,
        feature_names=list(FEATURE_NAMES),
        frame=frame,
        DESCR=descr,
    )
