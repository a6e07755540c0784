"""The detector's fitted state: saved to and loaded from a file, restored
when a fit fails.

A file is a ``torch.save`` of a dict of plain values and CPU tensors, so
``torch.load(..., weights_only=True)`` reads it without running any pickled
code, and it does not depend on the scikit-learn or skorch versions. What it
holds is derived from the detector: every public fitted attribute (names
ending in ``_``), the fitted parts among them stored by their attributes.
"""

import functools
import os
from pathlib import Path
from tempfile import NamedTemporaryFile

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._code_distance import _CodeDistance
from ._devices import _resolve_device
from ._inference import set_scoring_dtype
from ._standardizer import _Standardizer

# The format's name and version: the version changes whenever what a file
# holds changes, so that a file of another version is refused by name.
_FORMAT_NAME = "sklearn_lstmae.params"
_FORMAT = f"{_FORMAT_NAME}/4"
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
    "n_members",
)
# The fitted parts, stored as their class name and their attributes.
_PARTS = {cls.__name__: cls for cls in (_Standardizer, _CodeDistance)}
# Fitted attributes that are not stored: the net (its module's weights are),
# and the device, which is the loading detector's own.
_NOT_STORED = ("net_", "device_")


def _fitted_attributes(detector):
    """The detector's fitted attributes: public names ending in ``_``."""
    return {
        name: value
        for name, value in vars(detector).items()
        if name.endswith("_") and not name.startswith("_") and name not in _NOT_STORED
    }


def _encode(value):
    """A value as ``torch.load(weights_only=True)`` reads it back."""
    if isinstance(value, np.ndarray):
        if value.dtype == object:  # feature names
            return ("strings", [str(v) for v in value])
        return torch.from_numpy(np.array(value))
    if type(value) in _PARTS.values():
        state = {name: _encode(v) for name, v in vars(value).items()}
        return ("part", type(value).__name__, state)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value):
    """The inverse of ``_encode``."""
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, tuple) and value[0] == "strings":
        return np.asarray(value[1], dtype=object)
    if isinstance(value, tuple) and value[0] == "part":
        part = _PARTS[value[1]].__new__(_PARTS[value[1]])
        vars(part).update({name: _decode(v) for name, v in value[2].items()})
        return part
    return value


def _params_file_state(detector):
    """The dict that ``save_params`` writes, from a fitted detector."""
    return {
        "format": _FORMAT,
        "params": {name: getattr(detector, name) for name in _MODEL_PARAMS},
        "module": {
            key: value.detach().cpu()
            for key, value in detector.net_.module_.state_dict().items()
        },
        "attributes": {
            name: _encode(value) for name, value in _fitted_attributes(detector).items()
        },
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
    module_state : dict
        The module's state dict (CPU tensors).
    attributes : dict
        The fitted attributes to set on the detector.

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
    found = state.get("format") if isinstance(state, dict) else None
    if isinstance(found, str) and found.startswith(f"{_FORMAT_NAME}/"):
        if found != _FORMAT:
            raise ValueError(
                f"{f!r} was written by another version of sklearn-lstmae (file "
                f"format {found!r}, this version reads {_FORMAT!r}); fit the "
                "detector again and save it with this version."
            )
    elif found != _FORMAT:
        raise ValueError(f"{not_ours}.")
    saved = state["params"]
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
    attributes = {name: _decode(v) for name, v in state["attributes"].items()}
    return state["module"], attributes


def _restore_state_on_error(method):
    """Make ``method`` all-or-nothing: if it raises, restore the attributes."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(vars(self))
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise

    return wrapper


class _ParamsFileMixin:
    """``save_params`` / ``load_params`` and unpickling for the detector."""

    def save_params(self, f_params):
        """Save the fitted weights and statistics to a file, without pickle.

        The file is read with ``torch.load(..., weights_only=True)``, so
        loading runs no code; written to a path, it is replaced atomically.

        Parameters
        ----------
        f_params : str, os.PathLike or binary file object
            Where to write.

        Examples
        --------
        >>> import io
        >>> import numpy as np
        >>> from sklearn_lstmae import LSTMAutoencoderDetector
        >>> X = np.sin(np.linspace(0, 6, 20) + np.arange(16)[:, None] / 8)
        >>> params = dict(hidden_size=4, latent_size=2, max_epochs=2, random_state=0)
        >>> det = LSTMAutoencoderDetector(**params).fit(X)
        >>> buf = io.BytesIO()
        >>> det.save_params(buf)
        >>> _ = buf.seek(0)
        >>> twin = LSTMAutoencoderDetector(**params).load_params(buf)
        >>> bool((twin.score_samples(X) == det.score_samples(X)).all())
        True
        """
        check_is_fitted(self)
        _write_params_file(_params_file_state(self), f_params)

    @_restore_state_on_error
    def load_params(self, f_params):
        """Load a file written by :meth:`save_params`; the detector is then fitted.

        The detector must agree with the saver on the parameters that define
        the model (a ``ValueError`` names any that differ); the weights go to
        this detector's ``device``. ``net_.history`` is empty.

        Parameters
        ----------
        f_params : str, os.PathLike or binary file object
            A file written by :meth:`save_params`.

        Returns
        -------
        self : LSTMAutoencoderDetector
            The detector, fitted with the loaded weights.
        """
        self._validate_params()
        device = _resolve_device(self.device)
        module_state, attributes = _read_params_file(f_params, self)
        vars(self).pop("feature_names_in_", None)
        vars(self).update(attributes, device_=device)
        shape = (1, self.n_timesteps_ or 1, self.n_channels_)  # None: ragged fit
        self.net_ = self._build_net(np.zeros(shape), np.zeros((0, *shape[1:])), 0)
        self.net_.initialize()
        try:
            self.net_.module_.load_state_dict(module_state)
        except RuntimeError as exc:
            raise ValueError(
                f"The weights in {f_params!r} do not fit this version's LSTM "
                f"module: {exc}"
            ) from exc
        double = self.code_distance_ is not None
        set_scoring_dtype(self.net_.module_, device, double=double)
        return self

    def __setstate__(self, state):
        super().__setstate__(state)
        net = vars(self).get("net_")
        if net is not None:
            # Unpickling maps CUDA tensors to the CPU when CUDA is missing
            # (skorch's DeviceWarning says so): scoring follows the net.
            self.device_ = str(net.device)
            net.module_.flatten_parameters()
