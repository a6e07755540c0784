"""Which torch device a detector trains and scores on."""

import torch

# Device types that can run the module, and how to tell whether one is present.
_DEVICE_AVAILABLE = {
    "cpu": lambda: True,
    "cuda": lambda: torch.cuda.is_available(),
    "mps": lambda: torch.backends.mps.is_available(),
    "xpu": lambda: hasattr(torch, "xpu") and torch.xpu.is_available(),
}


def _resolve_device(device):
    """The device ``fit`` uses: ``"auto"`` is CUDA when present, else the CPU.

    Anything else must name a device type that can run the module and that
    is present here; otherwise a ``ValueError`` says which and why.
    """
    if str(device) == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(device)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise ValueError(
            f"The 'device' parameter must be 'auto', 'cpu', 'cuda', 'cuda:<index>' "
            f"or 'mps', got {device!r}."
        ) from exc
    if device.type not in _DEVICE_AVAILABLE:
        raise ValueError(
            f"The 'device' parameter must be 'auto', 'cpu', 'cuda', 'cuda:<index>' "
            f"or 'mps', got {str(device)!r}: device type {device.type!r} cannot "
            "train this model."
        )
    if not _DEVICE_AVAILABLE[device.type]():
        raise ValueError(
            f"device={str(device)!r} was asked for but {device.type.upper()} is not "
            "available; use device='auto' or 'cpu'."
        )
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ValueError(
            f"device={str(device)!r} was asked for but only "
            f"{torch.cuda.device_count()} CUDA device(s) are visible."
        )
    return str(device)
