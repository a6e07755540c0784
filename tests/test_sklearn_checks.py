"""scikit-learn's estimator checks on fast settings."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_lstmae import LSTMAutoencoderDetector

from .conftest import FAST

_AUTO_FLAGS_NONE = (
    "with contamination='auto' the threshold is a robust z-score of 3 of the log "
    "errors of"
    " held-out rows of the training data itself, so on make_blobs no training "
    "point exceeds it; sklearn expects some training points flagged. The "
    "contamination=float path (exact outlier count) is tested in "
    "test_estimator.py::test_contamination_flags_exact_share"
)
EXPECTED_FAILED = {
    "check_outliers_train": _AUTO_FLAGS_NONE,
    "check_outliers_fit_predict": _AUTO_FLAGS_NONE,
}


def _expected_failed(estimator):
    if estimator.contamination == "auto":
        return EXPECTED_FAILED
    return {}


@parametrize_with_checks(
    [
        LSTMAutoencoderDetector(**FAST, random_state=0),
        # The float path must pass every check, check_outliers_train included.
        LSTMAutoencoderDetector(**FAST, contamination=0.1, random_state=0),
    ],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
