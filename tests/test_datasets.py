"""load_ecg5000: the shared copy, downloads from a local server, and faults."""

import contextlib
import hashlib
import io
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import types
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_lstmae.datasets import _base, _ecg5000, get_data_home, load_ecg5000

from .conftest import ecg5000_dir, needs_ecg5000

N = _ecg5000.N_TIMESTEPS
FILES = ["ECG5000_TEST.txt", "ECG5000_TRAIN.txt"]
SHARED = ecg5000_dir()


# --------------------------------------------------------------------------
# Fake data, zip and a local HTTP server
# --------------------------------------------------------------------------


def _fake_split(labels, seed):
    """Rows as the archive writes them, and the values they parse back to."""
    rng = np.random.default_rng(seed)
    rows = np.column_stack([labels, rng.normal(0, 2, (len(labels), N))])
    text = "".join("".join(f"{v:16.7e}" for v in row) + "\n" for row in rows)
    parsed = np.array([[float(f"{v:16.7e}") for v in row] for row in rows])
    return text.encode(), parsed[:, 1:], np.asarray(labels, dtype=np.int64)


TRAIN_TXT, TRAIN_X, TRAIN_Y = _fake_split([1, 2, 3, 4, 5], seed=0)
TEST_TXT, TEST_X, TEST_Y = _fake_split([1, 1, 2, 3, 4, 5, 1], seed=1)
TRAIN_SHA = hashlib.sha256(TRAIN_TXT).hexdigest()


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


GOOD_ZIP = _zip(
    {
        "ECG5000_TRAIN.txt": TRAIN_TXT,
        "ECG5000_TEST.txt": TEST_TXT,
        "ECG5000_TRAIN.arff": b"@relation x\n",
    }
)


@pytest.fixture
def server(monkeypatch):
    """A local HTTP server; ``mode`` picks its behaviour, ``hits`` counts GETs."""
    state = types.SimpleNamespace(mode="ok", body=GOOD_ZIP, hits=0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.hits += 1
            if state.mode == "404":
                self.send_error(404)
                return
            extra = 1000 if state.mode == "truncated" else 0
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(state.body) + extra))
            self.end_headers()
            try:
                if state.mode == "stall":
                    self.wfile.flush()
                    time.sleep(0.5)
                self.wfile.write(state.body)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "*")
    state.url = f"http://127.0.0.1:{httpd.server_port}/ECG5000.zip"
    monkeypatch.setattr(_ecg5000, "ECG5000_URL", state.url)
    monkeypatch.setitem(_ecg5000.ECG5000_SHA256, "ECG5000_TRAIN.txt", TRAIN_SHA)
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _check_fake(data_home):
    bunch = load_ecg5000(data_home=data_home)
    np.testing.assert_array_equal(bunch.data, np.vstack([TRAIN_X, TEST_X]))
    np.testing.assert_array_equal(bunch.target, np.concatenate([TRAIN_Y, TEST_Y]))
    assert sorted(os.listdir(data_home)) == FILES
    assert (data_home / "ECG5000_TRAIN.txt").read_bytes() == TRAIN_TXT
    return bunch


def _recovers(server, data_home):
    """After a fault: nothing left behind, and a healthy server then works."""
    assert not data_home.exists() or os.listdir(data_home) == []
    server.mode, server.body = "ok", GOOD_ZIP
    _check_fake(data_home)


# --------------------------------------------------------------------------
# The shared copy
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_all():
    return load_ecg5000(data_home=SHARED, download=False)


@needs_ecg5000
def test_shared_counts(shared_all):
    b = shared_all
    assert b.data.shape == (5000, N) and b.data.dtype == np.float64
    assert np.isfinite(b.data).all()
    assert b.target.dtype == np.int64 and set(np.unique(b.target)) <= set(range(6))
    assert (b.split == "train").sum() == 500 and (b.split == "test").sum() == 4500
    assert (~b.is_anomaly).sum() == 2919 and b.is_anomaly.sum() == 2081
    assert b.is_anomaly[b.target == 0].all()
    assert not b.is_anomaly[b.target == 1].any()
    assert b.feature_names == [f"t{i:03d}" for i in range(N)]
    assert b.frame is None and str(SHARED) in b.DESCR


@needs_ecg5000
@pytest.mark.parametrize(
    "subset, n, n_normal", [("train", 500, 292), ("test", 4500, 2627)]
)
def test_shared_subsets(subset, n, n_normal):
    b = load_ecg5000(data_home=SHARED, subset=subset, download=False)
    assert b.data.shape == (n, N) and (~b.is_anomaly).sum() == n_normal
    assert (b.split == subset).all()


@needs_ecg5000
def test_shared_env_var_frame_and_return_X_y(monkeypatch, shared_all):
    monkeypatch.setenv("SKLEARN_LSTMAE_DATA", str(SHARED))
    X, y = load_ecg5000(subset="test", download=False, return_X_y=True)
    assert X.shape == (4500, N) and y.shape == (4500,)
    b = load_ecg5000(download=False, as_frame=True)
    assert isinstance(b.data, pd.DataFrame) and b.data.shape == (5000, N)
    assert list(b.data.columns) == b.feature_names
    assert isinstance(b.target, pd.Series) and b.target.name == "target"
    assert b.frame.shape == (5000, N + 3)
    assert list(b.frame.columns[-3:]) == ["target", "is_anomaly", "split"]
    np.testing.assert_array_equal(b.data.to_numpy(), shared_all.data)
    X, y = load_ecg5000(download=False, as_frame=True, return_X_y=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)


# --------------------------------------------------------------------------
# Arguments and data home
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (
            {"subset": "valid"},
            ValueError,
            r"subset must be one of \['train', 'test', 'all'\]",
        ),
        ({"data_home": 3}, TypeError, "data_home must be a str"),
        ({"data_home": ""}, ValueError, "empty"),
        ({"download": "yes"}, TypeError, "download must be a bool"),
        ({"as_frame": 1}, TypeError, "as_frame must be a bool"),
        ({"return_X_y": None}, TypeError, "return_X_y must be a bool"),
    ],
)
def test_bad_arguments(kwargs, exc, match, tmp_path):
    kwargs.setdefault("data_home", tmp_path)
    with pytest.raises(exc, match=match):
        load_ecg5000(**kwargs)


def test_get_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SKLEARN_LSTMAE_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == tmp_path / ".cache" / "sklearn_lstmae" / "ECG5000"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_data_home() == tmp_path / "xdg" / "sklearn_lstmae" / "ECG5000"
    monkeypatch.setenv("SKLEARN_LSTMAE_DATA", "")
    assert get_data_home() == tmp_path / "xdg" / "sklearn_lstmae" / "ECG5000"
    monkeypatch.setenv("SKLEARN_LSTMAE_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env"
    assert get_data_home(tmp_path / "given") == tmp_path / "given"
    assert get_data_home("~/given") == tmp_path / "given"
    assert os.listdir(tmp_path) == []  # nothing created


def test_missing_files_without_download(tmp_path):
    (tmp_path / "ECG5000_TRAIN.txt").write_bytes(TRAIN_TXT)
    with pytest.raises(
        FileNotFoundError, match="ECG5000_TEST.txt missing from"
    ) as info:
        load_ecg5000(data_home=tmp_path, download=False)
    assert str(tmp_path) in str(info.value) and "SKLEARN_LSTMAE_DATA" in str(info.value)
    assert os.listdir(tmp_path) == ["ECG5000_TRAIN.txt"]


# --------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------


def test_download_once(server, tmp_path):
    home = tmp_path / "x" / "y"
    b = _check_fake(home)
    assert server.hits == 1
    assert b.is_anomaly.tolist() == [False, True, True, True, True] + [
        False,
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    assert list(b.split) == ["train"] * 5 + ["test"] * 7
    _check_fake(home)
    load_ecg5000(data_home=home, subset="test", download=False)
    assert server.hits == 1


def test_download_members_in_subfolder(server, tmp_path):
    server.body = _zip(
        {
            "ECG5000/": b"",
            "ECG5000/ECG5000_TRAIN.txt": TRAIN_TXT,
            "ECG5000/ECG5000_TEST.txt": TEST_TXT,
            "__MACOSX/ECG5000/ECG5000_TEST.txt": b"junk",
        }
    )
    _check_fake(tmp_path / "x")


def test_download_when_one_file_missing(server, tmp_path):
    (tmp_path / "ECG5000_TEST.txt").write_bytes(TEST_TXT)
    _check_fake(tmp_path)
    assert server.hits == 1


def test_env_var_download_target(server, tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_LSTMAE_DATA", str(tmp_path / "env"))
    X, y = load_ecg5000(subset="train", return_X_y=True)
    np.testing.assert_array_equal(X, TRAIN_X)
    np.testing.assert_array_equal(y, TRAIN_Y)
    assert sorted(os.listdir(tmp_path / "env")) == FILES


def test_connection_refused(server, tmp_path, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/ECG5000.zip"
    monkeypatch.setattr(_ecg5000, "ECG5000_URL", url)
    home = tmp_path / "x"
    with pytest.raises(OSError, match=f"Failed to download {re.escape(url)}") as info:
        load_ecg5000(data_home=home)
    assert "SKLEARN_LSTMAE_DATA" in str(info.value) and str(home) in str(info.value)
    monkeypatch.setattr(_ecg5000, "ECG5000_URL", server.url)
    _recovers(server, home)


@pytest.mark.parametrize(
    "mode, body, match",
    [
        ("404", GOOD_ZIP, "HTTP error 404"),
        ("truncated", GOOD_ZIP, "truncated"),
        ("ok", os.urandom(4096), "is corrupt"),
        ("ok", GOOD_ZIP[:-50], "is corrupt"),
        (
            "ok",
            _zip({"ECG5000_TRAIN.txt": TRAIN_TXT}),
            "does not contain ECG5000_TEST.txt",
        ),
    ],
)
def test_download_faults(server, tmp_path, mode, body, match):
    server.mode, server.body = mode, body
    home = tmp_path / "x"
    with pytest.raises(OSError, match=match) as info:
        load_ecg5000(data_home=home)
    assert server.url in str(info.value)
    _recovers(server, home)


def test_download_timeout(server, tmp_path, monkeypatch):
    monkeypatch.setattr(_ecg5000, "_DOWNLOAD_TIMEOUT", 0.1)
    server.mode = "stall"
    home = tmp_path / "x"
    with pytest.raises(OSError, match="Failed to download.*timed out"):
        load_ecg5000(data_home=home)
    _recovers(server, home)


def test_checksum_mismatch(server, tmp_path, monkeypatch):
    bad = "0" * 64
    monkeypatch.setitem(_ecg5000.ECG5000_SHA256, "ECG5000_TRAIN.txt", bad)
    home = tmp_path / "x"
    pattern = (
        f"Checksum mismatch for ECG5000_TRAIN.txt.*expected sha256 {bad}, "
        f"got {TRAIN_SHA}"
    )
    with pytest.raises(OSError, match=pattern):
        load_ecg5000(data_home=home)
    monkeypatch.setitem(_ecg5000.ECG5000_SHA256, "ECG5000_TRAIN.txt", TRAIN_SHA)
    _recovers(server, home)


def test_unwritable_directory_simulated(server, tmp_path, monkeypatch):
    def deny(*args, dir=None, **kwargs):
        raise PermissionError(13, "Permission denied", dir)

    home = tmp_path / "x"
    match = f"Cannot write to the data directory {re.escape(str(home))}.*data_home"
    with monkeypatch.context() as patch:
        patch.setattr(_base, "NamedTemporaryFile", deny)
        with pytest.raises(PermissionError, match=match):
            load_ecg5000(data_home=home)
    assert server.hits == 0
    _recovers(server, home)


@contextlib.contextmanager
def _without_root():
    """Run the block as 'nobody' when the tests run as root.

    Root ignores file permissions, so a read-only directory is only
    read-only to another user; the effective uid is switched back at the end.
    """
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def world_readable_dir():
    """A fresh directory under the system temp dir that 'nobody' can enter."""
    path = Path(tempfile.mkdtemp(prefix="sklearn_lstmae_ro_"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file permissions")
def test_read_only_directory(server, world_readable_dir):
    home = world_readable_dir / "ro"
    home.mkdir()
    home.chmod(0o555)
    try:
        with _without_root(), pytest.raises(PermissionError) as info:
            load_ecg5000(data_home=home)
        assert str(home) in str(info.value) and "data_home" in str(info.value)
        assert os.listdir(home) == []  # nothing written, nothing to trust
        assert server.hits == 0  # refused before downloading anything
    finally:
        home.chmod(0o755)
    _recovers(server, home)  # writable again: the next call succeeds


@pytest.mark.parametrize("stage", ["download", "extract", "replace"])
def test_ctrl_c_mid_download_leaves_nothing(server, tmp_path, monkeypatch, stage):
    """A KeyboardInterrupt at any stage removes every temporary file."""
    home = tmp_path / "x"
    with monkeypatch.context() as patch:
        if stage == "replace":

            class _Os:
                def __getattr__(self, name):
                    return getattr(os, name)

                @staticmethod
                def replace(src, dst):
                    raise KeyboardInterrupt

            patch.setattr(_base, "os", _Os())
        else:
            name = "_download" if stage == "download" else "_extract"
            real = getattr(_base, name)

            def interrupted(*args, **kwargs):
                real(*args, **kwargs)  # after writing a whole temporary file
                raise KeyboardInterrupt

            patch.setattr(_base, name, interrupted)
        with pytest.raises(KeyboardInterrupt):
            load_ecg5000(data_home=home)
    assert os.listdir(home) == []
    _recovers(server, home)


def test_a_fault_leaves_files_already_there_untouched(server, tmp_path):
    (tmp_path / "ECG5000_TEST.txt").write_bytes(TEST_TXT)
    server.body = GOOD_ZIP[:-50]
    with pytest.raises(OSError, match="is corrupt"):
        load_ecg5000(data_home=tmp_path)
    assert os.listdir(tmp_path) == ["ECG5000_TEST.txt"]
    assert (tmp_path / "ECG5000_TEST.txt").read_bytes() == TEST_TXT
    server.body = GOOD_ZIP
    _check_fake(tmp_path)


def test_stale_temporary_files_are_never_trusted(server, tmp_path):
    """Leftovers of a killed process (.part files) are not taken for data."""
    for name in ("ECG5000_TRAIN.txt", "ECG5000_TEST.txt", "download.zip"):
        (tmp_path / f".{name}.dead.part").write_bytes(b"garbage")
    bunch = load_ecg5000(data_home=tmp_path)
    np.testing.assert_array_equal(bunch.data, np.vstack([TRAIN_X, TEST_X]))
    assert server.hits == 1


def test_data_home_is_a_file(server, tmp_path):
    home = tmp_path / "file"
    home.write_text("")
    with pytest.raises(
        OSError, match=f"Cannot write to the data directory {re.escape(str(home))}"
    ):
        load_ecg5000(data_home=home)
    assert server.hits == 0


# --------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------


def test_reader_roundtrip(tmp_path):
    path = tmp_path / "ok.txt"
    path.write_bytes(TEST_TXT)
    X, y = _ecg5000._read_ucr_txt(path)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(X, TEST_X)
    np.testing.assert_array_equal(y, TEST_Y)


@pytest.mark.parametrize(
    "text, match",
    [
        ("1 0.5 0.25\n2 0.5\n", "number of columns changed"),
        ("1.5 0.5 0.25\n2 0.5 0.1\n", "label 1.5 at row 1 is not an integer"),
        ("1 0.5 nan\n", "NaN or infinite value at row 1"),
        ("1 0.5 abc\n", "could not convert"),
        ("", "no rows"),
    ],
)
def test_reader_rejects(tmp_path, text, match):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        _ecg5000._read_ucr_txt(path)
    assert str(path) in str(info.value)


def test_wrong_length_rows(tmp_path):
    (tmp_path / "ECG5000_TRAIN.txt").write_text("1 0.5 0.25\n")
    (tmp_path / "ECG5000_TEST.txt").write_bytes(TEST_TXT)
    with pytest.raises(ValueError, match="holds 2 values per row"):
        load_ecg5000(data_home=tmp_path, download=False)
