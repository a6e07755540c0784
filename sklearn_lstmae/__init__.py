"""sklearn-lstmae: LSTM autoencoder outlier detection with a scikit-learn API."""

from ._estimator import LSTMAutoencoderDetector

__all__ = ["LSTMAutoencoderDetector"]
__version__ = "0.1.0"
