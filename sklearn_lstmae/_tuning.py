"""Choosing a fitted detector's threshold from validation sequences."""

from numbers import Integral, Real

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.utils.validation import check_is_fitted

from ._threshold import (
    _best_threshold,
    _candidate_thresholds,
    _false_alarm_threshold,
)
from ._validation import _check_y


class _ThresholdTuningMixin:
    """``tune_threshold``: move ``offset_`` without retraining.

    The detector provides ``_check`` (its input validation), ``_forward`` and
    ``_detector_errors`` (one scoring pass and its errors).
    """

    def tune_threshold(
        self, X, y=None, *, false_alarm_rate=None, scoring=None, thresholds=100
    ):
        """Set the threshold from validation sequences, without retraining.

        Only ``offset_`` (and so ``threshold_``, :meth:`decision_function`
        and :meth:`predict`) changes; the weights, :meth:`score_samples` and
        the calibration errors stay as :meth:`fit` left them. Give exactly
        one of ``false_alarm_rate`` and ``scoring``. A later :meth:`fit`
        sets the threshold by ``contamination`` again.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Validation sequences, shaped like the training data, that the
            detector was not trained on.
        y : array-like of shape (n_samples,), default=None
            Labels, 1 normal and -1 outlier (as :meth:`predict`). Without
            ``y`` every row of ``X`` counts as normal.
        false_alarm_rate : float in [0, 1), default=None
            Share of the normal rows of ``X`` to flag: the threshold lies
            between the errors of the ``floor(false_alarm_rate * n)`` worst
            rebuilt normal rows and the others (a rate below ``1 / n`` flags
            none of them).
        scoring : str or callable, default=None
            A scikit-learn scorer of predicted labels, maximised over the
            candidate ``thresholds`` on labelled ``X`` (both labels needed):
            a name such as ``"balanced_accuracy"``, or
            ``make_scorer(metric, ...)``. Names use scikit-learn's defaults,
            so ``"f1"`` is the F1 score of the normal class (+1); for the
            outliers' use ``make_scorer(f1_score, pos_label=-1)``.
        thresholds : int or array-like, default=100
            With ``scoring``: the error thresholds to try, or how many
            evenly spaced quantiles of the validation errors to try.

        Returns
        -------
        self : LSTMAutoencoderDetector
            The detector with its new threshold; ``best_score_`` holds the
            score of the chosen threshold with ``scoring`` (else it is
            removed).
        """
        check_is_fitted(self)
        _check_choice(false_alarm_rate, scoring)
        if false_alarm_rate is not None:
            _check_rate(false_alarm_rate)
        X = self._check(X)
        normal = np.ones(X.shape[0], dtype=bool) if y is None else _labels(y, X)
        if false_alarm_rate is not None and not normal.any():
            raise ValueError(
                "false_alarm_rate needs normal rows (labelled 1) in X; "
                "every row is labelled -1."
            )
        errors = self._detector_errors(self._forward(X))
        best_score = None
        if false_alarm_rate is not None:
            threshold = _false_alarm_threshold(errors[normal], false_alarm_rate)
        else:
            threshold, best_score = _tuned_threshold(
                errors, y, normal, self, scoring, thresholds
            )
        vars(self).pop("best_score_", None)
        if best_score is not None:
            self.best_score_ = best_score
        self.offset_ = -threshold
        return self


def _check_choice(false_alarm_rate, scoring):
    if (false_alarm_rate is None) == (scoring is None):
        raise ValueError(
            "Give exactly one of false_alarm_rate (a share of normal rows to "
            "flag) and scoring (a metric to maximise on labelled rows)."
        )


def _check_rate(rate):
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 <= rate < 1:
        raise ValueError(f"false_alarm_rate must be a number in [0, 1), got {rate!r}.")


def _labels(y, X):
    """Mask of the rows labelled 1; ``y`` holds only 1 and -1."""
    y = np.asarray(y)
    if y.ndim == 1 and y.shape[0] == X.shape[0] and not np.isin(y, [-1, 1]).all():
        raise ValueError(
            "y must label normal rows 1 and outliers -1 (the convention of "
            f"predict), got labels {np.unique(y)[:10].tolist()}."
        )
    return _check_y(y, X.shape[0])


def _tuned_threshold(errors, y, normal, detector, scoring, thresholds):
    """The threshold maximising ``scoring`` on labelled rows, and its score."""
    if y is None or normal.all() or not normal.any():
        raise ValueError(
            "scoring needs labelled rows of both kinds in X: y with 1 for "
            "normal rows and -1 for outliers."
        )
    if isinstance(thresholds, Integral) and not isinstance(thresholds, bool):
        if thresholds < 2:
            raise ValueError(f"thresholds must be at least 2, got {thresholds}.")
    elif np.ndim(thresholds) != 1 or np.size(thresholds) == 0:
        raise ValueError(
            "thresholds must be an int or a 1-D array-like of error thresholds, "
            f"got {thresholds!r}."
        )
    scorer = check_scoring(detector, scoring=scoring)
    candidates = _candidate_thresholds(errors, thresholds)
    try:
        threshold, score = _best_threshold(
            errors, np.where(normal, 1, -1), scorer, candidates
        )
    except AttributeError as exc:
        raise ValueError(
            f"scoring={scoring!r} does not rate predicted labels (it needs "
            "continuous scores, which do not depend on the threshold); use a "
            "scorer such as 'balanced_accuracy' or make_scorer(f1_score, "
            "pos_label=-1)."
        ) from exc
    if not np.isfinite(score):
        raise ValueError(f"scoring={scoring!r} gave no finite score at any threshold.")
    return threshold, score
