"""UCR/UEA archive datasets in the ``.ts`` format: reader and loader.

A ``.ts`` file is a header of ``@key value`` lines ended by ``@data``, then
one case a line: channels separated by ``:``, values within a channel by
``,``, and the label as the last ``:`` field when the header declares one.
The loader keeps series of different lengths as a list of arrays, the input
:class:`~sklearn_lstmae.LSTMAutoencoderDetector` takes for them.
"""

import re

import numpy as np
from sklearn.utils import Bunch

from ._base import _data_home, _fetch_zip_members
from ._ecg5000 import _SUBSETS, _check_bool

UCR_URL = "https://www.timeseriesclassification.com/aeon-toolkit/{name}.zip"
UCR_ENV_VAR = "SKLEARN_LSTMAE_UCR_DATA"
_DOWNLOAD_TIMEOUT = 60.0
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_COMMENTS = ("#", "%")  # some archive files open with ARFF-style % lines
_LABELS = ("classlabel", "targetlabel")  # @targetLabel: regression targets
_FLAGS = ("timestamps", "missing", "univariate", "equallength", *_LABELS)


def get_ucr_data_home(data_home=None):
    """Return the root directory of the local UCR/UEA datasets.

    Dataset ``name`` lives in ``<root>/<name>/``. The root is ``data_home``
    when given; else the ``SKLEARN_LSTMAE_UCR_DATA`` environment variable
    when set and non-empty; else ``$XDG_CACHE_HOME/sklearn_lstmae/UCR``
    (``~/.cache/sklearn_lstmae/UCR`` when ``XDG_CACHE_HOME`` is unset).
    ``data_home`` is checked as by :func:`get_data_home` (TypeError for a
    wrong type, ValueError for an empty string); ``~`` is expanded and
    nothing is created.

    Returns
    -------
    path : pathlib.Path
        The resolved root (it may not exist yet).

    Examples
    --------
    >>> from sklearn_lstmae.datasets import get_ucr_data_home
    >>> get_ucr_data_home("some/dir").name
    'dir'
    """
    return _data_home(data_home, UCR_ENV_VAR, "UCR")


def _invalid(path, lineno, message):
    return ValueError(f"Invalid .ts file {path}, line {lineno}: {message}")


def _read_header(path, lines):
    """Consume the header up to ``@data``; return its flags and the line."""
    header, lineno = {}, 1
    for lineno, raw in lines:
        line = raw.strip()
        if not line or line.startswith(_COMMENTS):
            continue
        if not line.startswith("@"):
            raise _invalid(path, lineno, "expected an @ header line before @data.")
        words = line.split()
        key = words[0][1:].lower()
        if key == "data":
            return header, lineno
        if key not in _FLAGS:
            continue  # @problemName, @seriesLength, @dimensions: not needed
        if len(words) < 2 or words[1].lower() not in ("true", "false"):
            raise _invalid(path, lineno, f"{words[0]} must be followed by true/false.")
        header[key] = words[1].lower() == "true"
        if key == "classlabel" and header[key] and len(words) > 2:
            header["labels"] = words[2:]
        if key == "timestamps" and header[key]:
            raise _invalid(path, lineno, "@timeStamps true is not supported.")
    raise _invalid(path, lineno, "the file ends before its @data line.")


def _parse_channel(path, lineno, index, field):
    """One channel's comma-separated values as float64; ``?`` is NaN."""
    if not field.strip():
        raise _invalid(path, lineno, f"channel {index} has no values.")
    tokens = field.split(",")
    if "?" in field:
        tokens = ["nan" if token.strip() == "?" else token for token in tokens]
    try:
        return np.array(tokens, dtype=np.float64)
    except ValueError as exc:
        raise _invalid(path, lineno, f"channel {index}: {exc}.") from None


def _parse_case(path, lineno, line, labelled, declared):
    """One case line: an array of shape (length, n_channels) and its label."""
    fields = line.split(":")
    label = fields.pop().strip() if labelled else None
    if labelled and not label:
        raise _invalid(path, lineno, "empty class label.")
    if labelled and declared and label not in declared:
        raise _invalid(path, lineno, f"class label {label!r} is not in {declared}.")
    if not fields:
        raise _invalid(path, lineno, "no values before the class label.")
    channels = [
        _parse_channel(path, lineno, index, field)
        for index, field in enumerate(fields, start=1)
    ]
    lengths = [len(channel) for channel in channels]
    if len(set(lengths)) > 1:
        raise _invalid(path, lineno, f"channels of different lengths {lengths}.")
    return np.stack(channels, axis=1), label


def _read_ts(path):
    """Read a ``.ts`` file; ValueError naming the file and line if malformed.

    Returns the cases (float64 arrays of shape (length_i, n_channels)), their
    labels (list of str, None if the file has none) and the @classLabel list
    (None if not declared).
    """
    series, labels = [], []
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = enumerate(fh, start=1)
        header, lineno = _read_header(path, lines)
        labelled = any(header.get(key, False) for key in _LABELS)
        declared = header.get("labels")
        for lineno, raw in lines:
            line = raw.strip()
            if not line or line.startswith(_COMMENTS):
                continue
            case, label = _parse_case(path, lineno, line, labelled, declared)
            if series and case.shape[1] != series[0].shape[1]:
                message = f"{case.shape[1]} channels, the first case has "
                raise _invalid(path, lineno, f"{message}{series[0].shape[1]}.")
            series.append(case)
            labels.append(label)
    if not series:
        raise _invalid(path, lineno, "no cases after @data.")
    return series, labels if labelled else None, declared


def _ensure_files(name, directory, names, download):
    """Make sure both files are in ``directory``, downloading when allowed."""
    missing = [file for file in names if not (directory / file).is_file()]
    if not missing:
        return
    url = UCR_URL.format(name=name)
    if not download:
        raise FileNotFoundError(
            f"UCR/UEA dataset {name} not found: {' and '.join(missing)} missing "
            f"from {directory}. Pass download=True to download it from {url}, or "
            f"set data_home (or the {UCR_ENV_VAR} environment variable) to a "
            f"directory whose {name} folder holds {names[0]} and {names[1]}."
        )
    _fetch_zip_members(
        url, directory, names, timeout=_DOWNLOAD_TIMEOUT, env_var=UCR_ENV_VAR
    )


def _combine(paths, parts):
    """Series, labels and class labels of one or two files."""
    series = [case for part in parts for case in part[0]]
    kinds = {(case.shape[1], part[1] is None) for part in parts for case in part[0]}
    if len(kinds) > 1:
        raise ValueError(
            f"{' and '.join(map(str, paths))} differ in their number of channels "
            "or in whether they hold labels."
        )
    if parts[0][1] is None:
        return series, None, []
    labels = np.array([label for part in parts for label in part[1]], dtype=str)
    declared = next((part[2] for part in parts if part[2]), None)
    return series, labels, list(declared) if declared else _sorted(labels)


def _sorted(labels):
    """Unique labels, in numeric order when all are numbers."""
    unique = [str(label) for label in np.unique(labels)]
    try:
        return sorted(unique, key=float)
    except ValueError:
        return unique


def _as_data(series, n_channels):
    """A 2-D / 3-D array for equal lengths, else a list of 1-D / 2-D arrays."""
    if len({len(case) for case in series}) == 1:
        data = np.stack(series)
        return data[:, :, 0].copy() if n_channels == 1 else data
    return [case[:, 0] if n_channels == 1 else case for case in series]


def load_ucr_uea(
    name, *, subset="all", data_home=None, download=True, return_X_y=False
):
    """Load a dataset of the UCR/UEA time series archive (``.ts`` files).

    Reads ``<root>/<name>/<name>_TRAIN.ts`` and ``<name>_TEST.ts``, where
    ``<root>`` is :func:`get_ucr_data_home`, and downloads the archive's zip
    of the dataset once when a file is missing.

    Parameters
    ----------
    name : str
        Dataset name as in the archive, e.g. "OSULeaf": letters, digits,
        ``_`` and ``-`` only, since it becomes a folder and a URL part.
    subset : {"train", "test", "all"}, default="all"
        Which split to return; "all" is the train cases then the test cases.
    data_home : str or os.PathLike, default=None
        Root holding one folder per dataset. ``None`` uses
        :func:`get_ucr_data_home` (the ``SKLEARN_LSTMAE_UCR_DATA``
        environment variable, then the user cache directory).
    download : bool, default=True
        If a file is missing, download ``UCR_URL`` (formatted with ``name``)
        into ``<root>/<name>/``, check the zip and extract both files. If
        False, a missing file raises FileNotFoundError.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : sklearn.utils.Bunch
        With ``data`` (float64 ndarray of shape (n, length) for one channel
        or (n, length, n_channels) for several when all series have the same
        length; else a list of float64 arrays of shape (length_i,) or
        (length_i, n_channels)), missing values (``?``) as NaN; ``target``
        (str ndarray of the labels as written, or None for unlabelled
        files); ``split`` (str ndarray of "train" / "test");
        ``class_labels`` (list of str: the declared labels in declared
        order, else the labels found, sorted); ``equal_length`` (bool);
        ``n_channels`` (int); ``name`` (str) and ``DESCR`` (str).
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``name`` or ``subset`` is invalid, or a file is malformed (the
        message names the file and the line).
    FileNotFoundError
        If a file is missing and ``download`` is False.
    PermissionError
        If the directory cannot be written to for a download.
    OSError
        If the download fails: network or HTTP error, timeout, truncated
        transfer, corrupt archive or missing member.

    Examples
    --------
    >>> from sklearn_lstmae.datasets import load_ucr_uea
    >>> bunch = load_ucr_uea("OSULeaf", subset="train")  # doctest: +SKIP
    >>> bunch.data.shape, bunch.class_labels  # doctest: +SKIP
    ((200, 427), ['1', '2', '3', '4', '5', '6'])
    >>> X, y = load_ucr_uea("PLAID", return_X_y=True)  # doctest: +SKIP
    >>> len(X), min(map(len, X)), max(map(len, X))  # doctest: +SKIP
    (1074, 100, 1344)
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            "name must be a non-empty str of letters, digits, '_' and '-', got "
            f"{name!r}."
        )
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {list(_SUBSETS)}, got {subset!r}.")
    _check_bool("download", download)
    _check_bool("return_X_y", return_X_y)
    directory = get_ucr_data_home(data_home) / name
    files = {split: f"{name}_{split.upper()}.ts" for split in ("train", "test")}
    _ensure_files(name, directory, tuple(files.values()), download)

    splits = ["train", "test"] if subset == "all" else [subset]
    paths = [directory / files[split] for split in splits]
    parts = [_read_ts(path) for path in paths]
    series, target, class_labels = _combine(paths, parts)
    n_channels = series[0].shape[1]
    data = _as_data(series, n_channels)
    if return_X_y:
        return data, target
    split = np.repeat(np.array(splits), [len(part[0]) for part in parts])
    lengths = sorted({len(case) for case in series})
    span = " to ".join(map(str, sorted({lengths[0], lengths[-1]})))
    classes = f"{len(class_labels)} classes" if target is not None else "no labels"
    descr = (
        f"{name}\n{'=' * len(name)}\n\nUCR/UEA archive dataset, subset {subset!r}: "
        f"{len(series)} series ({(split == 'train').sum()} train, "
        f"{(split == 'test').sum()} test) of length {span}, {n_channels} "
        f"channel(s), {classes}.\nRead from: {', '.join(map(str, paths))}\n"
    )
    return Bunch(
        data=data,
        target=target,
        split=split,
        class_labels=class_labels,
        equal_length=len(lengths) == 1,
        n_channels=n_channels,
        name=name,
        DESCR=descr,
    )
