"""Persistence: pickle, joblib and deepcopy round trips, CUDA-trained models
loaded on the CPU, save_params / load_params, and the same outputs in a new
process."""

import contextlib
import copy
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch.exceptions import DeviceWarning

import sklearn_lstmae
from sklearn_lstmae import LSTMAutoencoderDetector

from .conftest import FAST, assert_same_outputs, fresh_copy, make_sines

N, T = 40, 12  # the shape of the module's fitted detector


@pytest.fixture(scope="module")
def X():
    return make_sines(n=N, n_timesteps=T)


@pytest.fixture(scope="module")
def fitted(X):
    # On the CPU also where CUDA is present: the tests compare it bit for bit
    # with copies loaded on the CPU.
    return LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0).fit(X)


@pytest.mark.parametrize("via", ["pickle", "joblib", "deepcopy"])
def test_round_trips_keep_every_output(fitted, X, via, tmp_path):
    if via == "pickle":
        loaded = pickle.loads(pickle.dumps(fitted))
    elif via == "joblib":
        joblib.dump(fitted, tmp_path / "det.joblib")
        loaded = joblib.load(tmp_path / "det.joblib")
    else:
        loaded = copy.deepcopy(fitted)
    assert_same_outputs(fitted, loaded, X)
    assert loaded.n_epochs_ == fitted.n_epochs_ == FAST["max_epochs"]


def _device_storages(det):
    """Storages that live on the training device: weights and Adam's state."""
    net = det.net_
    tensors = list(net.module_.state_dict().values())
    for state in net.optimizer_.state.values():
        tensors += [v for v in state.values() if torch.is_tensor(v)]
    return {t.untyped_storage().data_ptr() for t in tensors}


@contextlib.contextmanager
def saved_as_trained_on_cuda(det):
    """Pickle ``det`` as if it had been trained with ``device="cuda"``.

    torch records the device of each storage with
    ``torch.serialization.location_tag`` and restores it there on load. Here
    the storages that a CUDA run keeps on the GPU (the module's weights and
    the optimizer's state) are tagged "cuda:0", as are ``device_`` and the
    net's ``device``; CPU-side objects (the batch-order generator) keep their
    "cpu" tag. The bytes are those of a CUDA-trained detector: without a
    ``map_location`` they cannot be loaded where CUDA is missing (checked in
    the test).
    """
    on_device = _device_storages(det)
    cpu_tag = torch.serialization.location_tag
    saved = det.device_, det.net_.device
    det.device_ = det.net_.device = "cuda"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            torch.serialization,
            "location_tag",
            lambda s: "cuda:0" if s.data_ptr() in on_device else cpu_tag(s),
        )
        try:
            yield
        finally:
            det.device_, det.net_.device = saved


def test_pickle_of_a_cuda_model_loads_and_scores_on_cpu(fitted, X, monkeypatch):
    # Freshly trained, not a copy: after a round trip the objects that share
    # the optimizer in a real run (the LR scheduler) no longer share it.
    gpu_trained = LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0)
    gpu_trained.fit(X).set_params(device="cuda")
    with saved_as_trained_on_cuda(gpu_trained):
        blob = pickle.dumps(gpu_trained)
        weight = next(gpu_trained.net_.module_.parameters())
        probe = pickle.dumps(weight.detach())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="deserialize object on a CUDA device"):
        pickle.loads(probe)  # the simulation is faithful: plain loading fails

    with pytest.warns(DeviceWarning) as caught:  # skorch says what it did
        loaded = pickle.loads(blob)
    assert "no CUDA devices are available" in str(caught[0].message)
    assert loaded.device_ == "cpu" and str(loaded.net_.device) == "cpu"
    assert all(p.device.type == "cpu" for p in loaded.net_.module_.parameters())
    assert_same_outputs(fitted, loaded, X)
    # Refitting needs a real device: the stored device="cuda" says so clearly.
    with pytest.raises(ValueError, match="CUDA is not available"):
        loaded.fit(X)
    assert loaded.device_ == "cpu"  # the failed refit changed nothing
    loaded.set_params(device="auto").fit(X)
    assert loaded.device_ == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_unpickled_cuda_model_has_compact_lstm_weights(X):
    det = LSTMAutoencoderDetector(**FAST, device="cuda", random_state=0).fit(X)
    loaded = pickle.loads(pickle.dumps(det))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*single contiguous chunk")
        np.testing.assert_allclose(loaded.score_samples(X), det.score_samples(X))


def test_save_params_load_params(fitted, X, tmp_path):
    path = tmp_path / "det.pt"
    fitted.save_params(path)
    assert [p.name for p in tmp_path.iterdir()] == ["det.pt"]  # no temp file left
    twin = LSTMAutoencoderDetector(**FAST, device="cpu").load_params(path)
    assert_same_outputs(fitted, twin, X)
    assert twin.n_epochs_ == fitted.n_epochs_ and twin.device_ == "cpu"
    np.testing.assert_array_equal(twin.held_out_errors_, fitted.held_out_errors_)
    # weights_only: the file holds no pickled code
    state = torch.load(path, weights_only=True)
    assert all(t.device.type == "cpu" for t in state["module"].values())
    # Loading into a fitted detector replaces its model.
    other = LSTMAutoencoderDetector(**FAST, device="cpu", random_state=5)
    other.fit(X[:, ::-1]).load_params(path)
    assert_same_outputs(fitted, other, X)


def test_load_params_keeps_names_channels_and_maps_cuda_tensors(tmp_path, monkeypatch):
    X3 = make_sines(n=32, n_timesteps=8, n_channels=2)
    names = pd.DataFrame(X3[:, :, 0], columns=[f"s{i}" for i in range(8)])
    det = LSTMAutoencoderDetector(
        **FAST, contamination=0.1, device="cpu", random_state=0
    )
    det.fit(names)
    # save_params writes CPU tensors; a file whose tensors are tagged CUDA
    # (written by hand with torch.save from a GPU) loads all the same.
    with saved_as_trained_on_cuda(det):
        det.save_params(tmp_path / "named.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    twin = LSTMAutoencoderDetector(**FAST, contamination=0.1).load_params(
        tmp_path / "named.pt"
    )
    assert list(twin.feature_names_in_) == list(det.feature_names_in_)
    np.testing.assert_array_equal(twin.score_samples(names), det.score_samples(names))
    det3 = LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0).fit(X3)
    buf = io.BytesIO()
    det3.save_params(buf)
    buf.seek(0)
    twin3 = LSTMAutoencoderDetector(**FAST, device="cpu").load_params(buf)
    assert twin3.n_channels_ == 2 and not hasattr(twin3, "feature_names_in_")
    np.testing.assert_array_equal(twin3.reconstruct(X3), det3.reconstruct(X3))


def test_load_params_errors_leave_the_detector_as_it_was(fitted, X, tmp_path):
    path = tmp_path / "det.pt"
    fitted.save_params(path)
    with pytest.raises(ValueError, match=r"hidden_size=6 in the file but 7 here"):
        LSTMAutoencoderDetector(**{**FAST, "hidden_size": 7}).load_params(path)
    with pytest.raises(ValueError, match=r"loss='mse' in the file but 'l1' here"):
        LSTMAutoencoderDetector(**FAST, loss="l1").load_params(path)
    junk = tmp_path / "junk.pt"
    for content in (os.urandom(300), pickle.dumps({"a": 1}), b""):
        junk.write_bytes(content)
        with pytest.raises(ValueError, match="is not a file written by .*save_params"):
            LSTMAutoencoderDetector(**FAST).load_params(junk)
    torch.save({"format": "something else"}, junk)
    with pytest.raises(ValueError, match="is not a file written by"):
        LSTMAutoencoderDetector(**FAST).load_params(junk)
    # A file of another version of the format (its content laid out otherwise)
    state = torch.load(path, weights_only=True)
    torch.save({**state, "format": "sklearn_lstmae.params/1"}, junk)
    with pytest.raises(ValueError, match="written by another version of sklearn-"):
        LSTMAutoencoderDetector(**FAST).load_params(junk)
    with pytest.raises(FileNotFoundError):
        LSTMAutoencoderDetector(**FAST).load_params(tmp_path / "missing.pt")
    # A failed load leaves an unfitted detector unfitted, a fitted one intact.
    fresh = LSTMAutoencoderDetector(**FAST)
    with pytest.raises(ValueError):
        fresh.load_params(junk)
    assert not hasattr(fresh, "device_")
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    det = fresh_copy(fitted)
    net = det.net_
    with pytest.raises(ValueError):
        det.load_params(junk)
    assert det.net_ is net
    assert_same_outputs(fitted, det, X)
    with pytest.raises(NotFittedError):
        LSTMAutoencoderDetector().save_params(tmp_path / "unfitted.pt")


def test_failed_save_keeps_the_previous_file(fitted, tmp_path, monkeypatch):
    path = tmp_path / "det.pt"
    fitted.save_params(path)
    before = path.read_bytes()

    def full_disk(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        fitted.save_params(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["det.pt"]


_CHILD = textwrap.dedent(
    """
    import json, sys
    import joblib, numpy as np
    from sklearn_lstmae import LSTMAutoencoderDetector
    X = np.load(sys.argv[1])
    params = json.loads(sys.argv[2])
    scores = {
        "joblib": joblib.load(sys.argv[3]).score_samples(X),
        "params": LSTMAutoencoderDetector(**params).load_params(sys.argv[4])
        .score_samples(X),
        "refit": LSTMAutoencoderDetector(**params, random_state=0).fit(X)
        .score_samples(X),
    }
    np.savez(sys.argv[5], **scores)
    """
)


@pytest.mark.slow  # a new Python process
def test_saved_model_and_seeded_fit_are_bit_identical_in_a_new_process(
    fitted, X, tmp_path
):
    np.save(tmp_path / "X.npy", X)
    joblib.dump(fitted, tmp_path / "det.joblib")
    fitted.save_params(tmp_path / "det.pt")
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = dict(os.environ)
    root = str(Path(sklearn_lstmae.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    subprocess.run(
        [
            sys.executable,
            str(script),
            str(tmp_path / "X.npy"),
            # The fixture's device: a refit on CUDA is not bit-identical to
            # the CPU-trained fixture (a seeded pair on CUDA is compared in
            # test_same_random_state_is_bit_identical_in_process).
            json.dumps({**FAST, "device": fitted.device}),
            str(tmp_path / "det.joblib"),
            str(tmp_path / "det.pt"),
            str(tmp_path / "out.npz"),
        ],
        check=True,
        env=env,
        timeout=300,
    )
    expected = fitted.score_samples(X)
    with np.load(tmp_path / "out.npz") as out:
        for name in ("joblib", "params", "refit"):
            np.testing.assert_array_equal(out[name], expected, err_msg=name)
