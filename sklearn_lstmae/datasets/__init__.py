"""ECG5000 loading (local copy or one verified download) and its protocols."""

from ._base import get_data_home
from ._ecg5000 import load_ecg5000
from ._protocols import tutorial_split

__all__ = ["get_data_home", "load_ecg5000", "tutorial_split"]
