"""load_ucr_uea: the .ts reader, the shared copies, downloads and faults."""

import os
import re

import numpy as np
import pytest

from sklearn_lstmae.datasets import _base, _ucr, get_ucr_data_home, load_ucr_uea

# server: the local HTTP server fixture of the ECG5000 download tests
from .conftest import ucr_dir
from .test_datasets import _zip, server  # noqa: F401

UCR_ROOT = ucr_dir()

# --------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------


def _ts(tmp_path, text, name="x.ts"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reader_univariate_equal_comments_and_case_insensitive_keys(tmp_path):
    text = (
        "% ARFF-style comment\n# comment\n\n@PROBLEMNAME Tiny\n@TimeStamps FALSE\n"
        "@MISSING false\n@univariate TRUE\n@equallength true\n@SeriesLength 3\n"
        "@CLASSLABEL True b a\n@DATA\n# a comment among the cases\n"
        "1,2,3:a\n\n  4.5,-5e-1,6 : b \n"
    )
    series, labels, declared = _ucr._read_ts(_ts(tmp_path, text))
    assert [s.shape for s in series] == [(3, 1), (3, 1)]
    assert all(s.dtype == np.float64 for s in series)
    np.testing.assert_array_equal(series[1][:, 0], [4.5, -0.5, 6.0])
    assert labels == ["a", "b"] and declared == ["b", "a"]


def test_reader_multivariate_missing_and_unequal(tmp_path):
    text = (
        "@problemName m\n@missing true\n@univariate false\n@dimensions 2\n"
        "@classLabel true 1 2\n@data\n1,?,3:4,5,NaN:2\n7,8:9,?:1\n"
    )
    series, labels, _ = _ucr._read_ts(_ts(tmp_path, text))
    assert [s.shape for s in series] == [(3, 2), (2, 2)]
    np.testing.assert_array_equal(series[0], [[1, 4], [np.nan, 5], [3, np.nan]])
    np.testing.assert_array_equal(series[1], [[7, 9], [8, np.nan]])
    assert labels == ["2", "1"]


def test_reader_without_labels(tmp_path):
    text = "@classLabel false\n@data\n1,2:3,4\n5,6:7,8\n"
    series, labels, declared = _ucr._read_ts(_ts(tmp_path, text))
    assert len(series) == 2 and labels is None and declared is None


HEAD = "@problemName bad\n@classLabel true a b\n@data\n"


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("@problemName bad\n\n@classLabel true a\n", 3, "ends before its @data"),
        ("# c\n@timeStamps true\n@data\n1:a\n", 2, "@timeStamps true is not"),
        ("hello\n@data\n1:a\n", 1, "expected an @ header line"),
        ("@classLabel maybe\n@data\n1:a\n", 1, "followed by true/false"),
        (HEAD + "1,2:3,4:a\n\n1,2:b\n", 6, "1 channels, the first case has 2"),
        (HEAD + "1,x,3:a\n", 4, "channel 1: could not convert string"),
        (HEAD + "1,2:3,,4:a\n", 4, "channel 2: could not convert string"),
        (HEAD + "1,2:a\n1,2:c\n", 5, r"class label 'c' is not in \['a', 'b'\]"),
        (HEAD + "1,2::a\n", 4, "channel 2 has no values"),
        (HEAD + ":a\n", 4, "channel 1 has no values"),
        (HEAD + "1,2,3:4,5:a\n", 4, r"channels of different lengths \[3, 2\]"),
        (HEAD + "# only a comment\n", 4, "no cases after @data"),
        ("@classLabel true\n@data\n1,2:\n", 3, "empty class label"),
        ("@classLabel true\n@data\n1,2,3\n", 3, "no values before the class label"),
    ],
)
def test_reader_rejects(tmp_path, text, line, match):
    path = _ts(tmp_path, text)
    with pytest.raises(ValueError, match=match) as info:
        _ucr._read_ts(path)
    assert f"Invalid .ts file {path}, line {line}: " in str(info.value)


def _write(root, name, train, test):
    (root / name).mkdir(parents=True)
    (root / name / f"{name}_TRAIN.ts").write_text(train)
    (root / name / f"{name}_TEST.ts").write_text(test)


def test_loader_shapes(tmp_path):
    head = "@classLabel true\n@data\n"
    _write(tmp_path, "Multi", head + "1,2:3,4:10\n", head + "5,6:7,8:2\n")
    b = load_ucr_uea("Multi", data_home=tmp_path, download=False)
    assert b.data.shape == (2, 2, 2) and b.data.dtype == np.float64
    np.testing.assert_array_equal(b.data[1], [[5, 7], [6, 8]])
    assert b.class_labels == ["2", "10"] and list(b.target) == ["10", "2"]
    assert b.equal_length and b.n_channels == 2 and b.name == "Multi"

    _write(tmp_path, "Ragged", head + "1,2:3,4:a\n", head + "5:7:a\n")
    X, y = load_ucr_uea("Ragged", data_home=tmp_path, return_X_y=True)
    assert [x.shape for x in X] == [(2, 2), (1, 2)] and list(y) == ["a", "a"]

    _write(tmp_path, "Uni", head + "1,2:a\n", head + "5:b\n")
    b = load_ucr_uea("Uni", data_home=tmp_path, download=False)
    assert [x.shape for x in b.data] == [(2,), (1,)] and not b.equal_length
    assert b.class_labels == ["a", "b"] and "length 1 to 2" in b.DESCR

    _write(tmp_path, "NoLabel", "@data\n1,2\n", "@data\n3,4\n")
    b = load_ucr_uea("NoLabel", data_home=tmp_path, download=False)
    assert b.data.shape == (2, 2) and b.target is None and b.class_labels == []

    _write(tmp_path, "Mixed", head + "1,2:a\n", head + "1,2:3,4:a\n")
    with pytest.raises(ValueError, match="differ in their number of channels"):
        load_ucr_uea("Mixed", data_home=tmp_path)


# --------------------------------------------------------------------------
# The shared copies
# --------------------------------------------------------------------------

# name: train, test, (min length, max length), number of classes
SHARED = {
    "UnitTest": (20, 22, (24, 24), 2),
    "OSULeaf": (200, 242, (427, 427), 6),
    "PickupGestureWiimoteZ": (50, 50, (29, 361), 10),
    "PLAID": (537, 537, (100, 1344), 11),
    "ACSF1": (100, 100, (1460, 1460), 10),
}


def _first_case(path):
    """The first case of a file, parsed naively: its values and its label."""
    with open(path, encoding="utf-8") as fh:
        lines = iter(fh)
        next(line for line in lines if line.strip().lower() == "@data")
        values, label = next(lines).strip().split(":")
    return np.array([float(v) for v in values.split(",")]), label


@pytest.mark.parametrize("name", list(SHARED))
def test_shared(name):
    if not (UCR_ROOT / name).is_dir():
        pytest.skip(f"shared UCR copy of {name} not found at {UCR_ROOT}")
    n_train, n_test, (low, high), n_classes = SHARED[name]
    b = load_ucr_uea(name, data_home=UCR_ROOT, download=False)
    assert len(b.data) == n_train + n_test == len(b.target) == len(b.split)
    assert list(b.split) == ["train"] * n_train + ["test"] * n_test
    lengths = [len(x) for x in b.data]
    assert (min(lengths), max(lengths)) == (low, high)
    assert b.equal_length == (low == high) and b.n_channels == 1
    if low == high:
        assert isinstance(b.data, np.ndarray) and b.data.shape == (len(b.split), low)
        assert b.data.dtype == np.float64
    else:
        assert isinstance(b.data, list)
        assert all(x.ndim == 1 and x.dtype == np.float64 for x in b.data)
    assert all(np.isfinite(x).all() for x in b.data)  # no missing values
    assert len(b.class_labels) == n_classes == len(set(b.target))
    assert set(b.target) <= set(b.class_labels) and b.name == name
    assert str(UCR_ROOT / name / f"{name}_TEST.ts") in b.DESCR

    values, label = _first_case(UCR_ROOT / name / f"{name}_TRAIN.ts")
    np.testing.assert_array_equal(b.data[0], values)
    assert b.target[0] == label

    parts = [
        load_ucr_uea(name, subset=s, data_home=UCR_ROOT, download=False)
        for s in ("train", "test")
    ]
    assert [len(p.data) for p in parts] == [n_train, n_test]
    assert [set(p.split) for p in parts] == [{"train"}, {"test"}]
    for got, want in zip([*parts[0].data, *parts[1].data], b.data, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.r_[parts[0].target, parts[1].target], b.target)


def test_shared_env_var_and_return_X_y(monkeypatch):
    if not (UCR_ROOT / "UnitTest").is_dir():
        pytest.skip(f"shared UCR copy of UnitTest not found at {UCR_ROOT}")
    monkeypatch.setenv("SKLEARN_LSTMAE_UCR_DATA", str(UCR_ROOT))
    X, y = load_ucr_uea("UnitTest", subset="test", download=False, return_X_y=True)
    assert X.shape == (22, 24) and y.shape == (22,) and set(y) == {"1", "2"}


# --------------------------------------------------------------------------
# Arguments and data home
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"name": ""}, ValueError, "name must be a non-empty str of letters"),
        ({"name": "../x"}, ValueError, "name must be"),
        ({"name": "a b"}, ValueError, "name must be"),
        ({"name": "a/b"}, ValueError, "name must be"),
        ({"name": 3}, ValueError, "name must be"),
        ({"subset": "valid"}, ValueError, r"subset must be one of \['train', "),
        ({"data_home": 3}, TypeError, "data_home must be a str"),
        ({"data_home": ""}, ValueError, "empty"),
        ({"download": "yes"}, TypeError, "download must be a bool"),
        ({"return_X_y": 1}, TypeError, "return_X_y must be a bool"),
    ],
)
def test_bad_arguments(kwargs, exc, match, tmp_path):
    kwargs = {"name": "Tiny", "data_home": tmp_path, **kwargs}
    with pytest.raises(exc, match=match):
        load_ucr_uea(**kwargs)
    assert os.listdir(tmp_path) == []


def test_get_ucr_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SKLEARN_LSTMAE_UCR_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("SKLEARN_LSTMAE_DATA", str(tmp_path / "ecg"))  # not used
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_ucr_data_home() == tmp_path / ".cache" / "sklearn_lstmae" / "UCR"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_ucr_data_home() == tmp_path / "xdg" / "sklearn_lstmae" / "UCR"
    monkeypatch.setenv("SKLEARN_LSTMAE_UCR_DATA", "")
    assert get_ucr_data_home() == tmp_path / "xdg" / "sklearn_lstmae" / "UCR"
    monkeypatch.setenv("SKLEARN_LSTMAE_UCR_DATA", "~/env")
    assert get_ucr_data_home() == tmp_path / "env"
    assert get_ucr_data_home(tmp_path / "given") == tmp_path / "given"
    assert get_ucr_data_home("~/given") == tmp_path / "given"
    with pytest.raises(TypeError, match="data_home must be a str"):
        get_ucr_data_home(1.5)
    with pytest.raises(ValueError, match="empty"):
        get_ucr_data_home("")
    assert os.listdir(tmp_path) == []  # nothing created


def test_missing_files_without_download(tmp_path):
    (tmp_path / "Tiny").mkdir()
    (tmp_path / "Tiny" / "Tiny_TRAIN.ts").write_text(TRAIN_TS)
    with pytest.raises(FileNotFoundError, match="Tiny_TEST.ts missing from") as info:
        load_ucr_uea("Tiny", data_home=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path / "Tiny") in message and "SKLEARN_LSTMAE_UCR_DATA" in message
    assert _ucr.UCR_URL.format(name="Tiny") in message
    assert os.listdir(tmp_path / "Tiny") == ["Tiny_TRAIN.ts"]


# --------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------

NAME = "Tiny"
HEADER = "# tiny\n@problemName Tiny\n@missing true\n@classLabel true a b\n@data\n"
TRAIN_TS = HEADER + "1,2,3:a\n4,?,6,7:b\n"
TEST_TS = HEADER + "0.5,1.5:b\n"
GOOD_ZIP = _zip({f"{NAME}_TRAIN.ts": TRAIN_TS, f"{NAME}_TEST.ts": TEST_TS})
FILES = [f"{NAME}_TEST.ts", f"{NAME}_TRAIN.ts"]


@pytest.fixture
def ucr_server(server, monkeypatch):  # noqa: F811
    """The local server of test_datasets, serving the tiny dataset's zip."""
    server.body = GOOD_ZIP
    base = server.url.rsplit("/", 1)[0]
    monkeypatch.setattr(_ucr, "UCR_URL", base + "/{name}.zip")
    server.url = f"{base}/{NAME}.zip"
    return server


def _check_tiny(data_home):
    bunch = load_ucr_uea(NAME, data_home=data_home)
    assert [x.tolist() for x in bunch.data[:1]] == [[1.0, 2.0, 3.0]]
    np.testing.assert_array_equal(bunch.data[1], [4, np.nan, 6, 7])
    assert list(bunch.target) == ["a", "b", "b"] and bunch.class_labels == ["a", "b"]
    assert list(bunch.split) == ["train", "train", "test"]
    assert sorted(os.listdir(data_home / NAME)) == FILES
    assert (data_home / NAME / f"{NAME}_TRAIN.ts").read_text() == TRAIN_TS
    return bunch


def _recovers(state, data_home):
    """After a fault: nothing left behind, and a healthy server then works."""
    directory = data_home / NAME
    assert not directory.exists() or os.listdir(directory) == []
    state.mode, state.body = "ok", GOOD_ZIP
    _check_tiny(data_home)


def test_download_once(ucr_server, tmp_path):
    home = tmp_path / "x" / "y"
    _check_tiny(home)
    assert ucr_server.hits == 1
    _check_tiny(home)
    load_ucr_uea(NAME, data_home=home, subset="test", download=False)
    assert ucr_server.hits == 1


def test_download_when_one_file_missing_and_env_var(ucr_server, tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_LSTMAE_UCR_DATA", str(tmp_path))
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / f"{NAME}_TEST.ts").write_text(TEST_TS)
    X, y = load_ucr_uea(NAME, subset="test", return_X_y=True)
    assert X.tolist() == [[0.5, 1.5]] and list(y) == ["b"]
    assert sorted(os.listdir(tmp_path / NAME)) == FILES and ucr_server.hits == 1


@pytest.mark.parametrize(
    "mode, body, match",
    [
        ("404", GOOD_ZIP, "HTTP error 404"),
        ("truncated", GOOD_ZIP, "truncated"),
        ("ok", os.urandom(4096), "is corrupt"),
        ("ok", GOOD_ZIP[:-50], "is corrupt"),
        ("ok", _zip({f"{NAME}_TRAIN.ts": TRAIN_TS}), "does not contain Tiny_TEST"),
    ],
)
def test_download_faults(ucr_server, tmp_path, mode, body, match):
    ucr_server.mode, ucr_server.body = mode, body
    with pytest.raises(OSError, match=match) as info:
        load_ucr_uea(NAME, data_home=tmp_path)
    message = str(info.value)
    assert ucr_server.url in message and str(tmp_path / NAME) in message
    assert "the SKLEARN_LSTMAE_UCR_DATA environment variable" in message
    assert "SKLEARN_LSTMAE_DATA" not in message
    assert "to where a copy of them already is" in message
    _recovers(ucr_server, tmp_path)


def test_unwritable_directory_simulated(ucr_server, tmp_path, monkeypatch):
    def deny(*args, dir=None, **kwargs):
        raise PermissionError(13, "Permission denied", dir)

    directory = re.escape(str(tmp_path / NAME))
    match = f"Cannot write to the data directory {directory}.*SKLEARN_LSTMAE_UCR_DATA"
    with monkeypatch.context() as patch:
        patch.setattr(_base, "NamedTemporaryFile", deny)
        with pytest.raises(PermissionError, match=match):
            load_ucr_uea(NAME, data_home=tmp_path)
    assert ucr_server.hits == 0
    _recovers(ucr_server, tmp_path)
