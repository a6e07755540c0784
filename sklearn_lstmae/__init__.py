"""sklearn-lstmae: LSTM autoencoder outlier detection with a scikit-learn API."""

from ._estimator import LSTMAutoencoderDetector
from ._streaming import StreamingScorer
from ._windows import SlidingWindows, timestamp_scores

__all__ = [
    "LSTMAutoencoderDetector",
    "SlidingWindows",
    "StreamingScorer",
    "timestamp_scores",
]
__version__ = "0.1.0"
