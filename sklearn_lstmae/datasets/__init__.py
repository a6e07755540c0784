"""ECG5000 loading (local copy or one verified download) and its protocols."""

from ._base import get_data_home
from ._ecg5000 import load_ecg5000
from ._protocols import tutorial_split
from ._synthetic import make_ecg_beats, make_ecg_recording

__all__ = [
    "get_data_home",
    "load_ecg5000",
    "make_ecg_beats",
    "make_ecg_recording",
    "tutorial_split",
]
