"""ECG5000 and UCR/UEA loading (local copy or one verified download), protocols."""

from ._base import get_data_home
from ._ecg5000 import load_ecg5000
from ._protocols import tutorial_split
from ._synthetic import make_ecg_beats, make_ecg_recording
from ._ucr import get_ucr_data_home, load_ucr_uea

__all__ = [
    "get_data_home",
    "get_ucr_data_home",
    "load_ecg5000",
    "load_ucr_uea",
    "make_ecg_beats",
    "make_ecg_recording",
    "tutorial_split",
]
