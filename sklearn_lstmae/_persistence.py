"""The file format of ``save_params`` / ``load_params``: weights and statistics.

A file is a ``torch.save`` of a dict of plain values and CPU tensors, so
``torch.load(..., weights_only=True)`` reads it without running any pickled
code, and it does not depend on the scikit-learn or skorch versions.
"""

import os
from pathlib import Path
from tempfile import NamedTemporaryFile

import numpy as np
import torch

_FORMAT = "sklearn_lstmae.params/1"
# Hyper-parameters that define what a fitted model means: a file loads only
# into a detector that agrees on all of them.
_MODEL_PARAMS = (
    "hidden_size",
    "latent_size",
    "num_layers",
    "bidirectional",
    "patch_size",
    "loss",
    "standardize",
    "contamination",
    "code_distance",
    "code_features",
)
# Values of model-defining parameters added since the format's first files,
# as files saved without them were fitted.
_ADDED_PARAMS = {"code_distance": False, "code_features": "code"}
_ARRAYS = ("mean_", "scale_", "held_out_errors_", "calibration_errors_")
# Arrays that are None unless an option uses them, stored in their own dtype.
_OPTIONAL_ARRAYS = (
    "train_codes_",
    "train_code_distances_",
    "code_calibration_",
    "code_center_",
    "code_scale_",
    "training_outliers_",
)
_FLOATS = ("offset_", "training_outlier_share_")
_INTS = ("n_timesteps_", "n_channels_", "n_features_in_", "n_epochs_", "patch_size_")


def _params_file_state(detector):
    """The dict that ``save_params`` writes, from a fitted detector."""
    names = getattr(detector, "feature_names_in_", None)
    return {
        "format": _FORMAT,
        "params": {name: getattr(detector, name) for name in _MODEL_PARAMS},
        "module": {
            key: value.detach().cpu()
            for key, value in detector.net_.module_.state_dict().items()
        },
        "arrays": {
            name: torch.from_numpy(np.asarray(getattr(detector, name), np.float64))
            for name in _ARRAYS
        },
        "optional_arrays": {
            name: torch.from_numpy(np.asarray(getattr(detector, name)))
            for name in _OPTIONAL_ARRAYS
            if getattr(detector, name, None) is not None
        },
        "floats": {name: float(getattr(detector, name)) for name in _FLOATS},
        # After a fit on sequences of different lengths, n_timesteps_ is None
        # and n_features_in_ is not set: such entries are left out.
        "ints": {
            name: int(getattr(detector, name))
            for name in _INTS
            if getattr(detector, name, None) is not None
        },
        "feature_names_in_": None if names is None else [str(n) for n in names],
    }


def _write_params_file(state, f):
    """``torch.save`` to a file object, or atomically to a path."""
    if not isinstance(f, (str, os.PathLike)):
        torch.save(state, f)
        return
    path = Path(f)
    tmp = NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False
    )
    try:
        with tmp:
            torch.save(state, tmp)
        os.chmod(tmp.name, 0o644)
        os.replace(tmp.name, path)
    except BaseException:
        try:
            os.remove(tmp.name)
        except OSError:
            pass
        raise


def _read_params_file(f, detector):
    """Read and check a params file for ``detector``.

    Returns
    -------
    state : dict
        ``"module"``: the module's state dict (CPU tensors); ``"attributes"``:
        the fitted attributes to set on the detector.

    Raises
    ------
    ValueError
        If ``f`` is not a file written by ``save_params``, or if it was saved
        by a detector with other model-defining hyper-parameters.
    """
    not_ours = f"{f!r} is not a file written by LSTMAutoencoderDetector.save_params"
    try:
        state = torch.load(f, map_location="cpu", weights_only=True)
    except OSError:
        raise  # a missing or unreadable file: the OS's own message is clear
    except Exception as exc:  # torch.load fails in many ways on other content
        raise ValueError(f"{not_ours} ({type(exc).__name__}: {exc}).") from exc
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise ValueError(f"{not_ours}.")
    saved = {**_ADDED_PARAMS, **state["params"]}
    differ = [
        f"{name}={saved[name]!r} in the file but {getattr(detector, name)!r} here"
        for name in _MODEL_PARAMS
        if saved[name] != getattr(detector, name)
    ]
    if differ:
        raise ValueError(
            f"{f!r} was saved by a detector with other hyper-parameters: "
            f"{'; '.join(differ)}. Build the detector with the saved values."
        )
    attributes = {name: value.numpy() for name, value in state["arrays"].items()}
    optional = state.get("optional_arrays", {})
    attributes.update(
        {
            name: optional[name].numpy() if name in optional else None
            for name in _OPTIONAL_ARRAYS
        }
    )
    attributes.update(state["floats"])
    attributes.update(state["ints"])
    attributes.setdefault("n_timesteps_", None)
    if state["feature_names_in_"] is not None:
        attributes["feature_names_in_"] = np.asarray(
            state["feature_names_in_"], dtype=object
        )
    return {"module": state["module"], "attributes": attributes}
