"""The synthetic ECG generators: shapes, labels and their physiology."""

import numpy as np
import pytest

from sklearn_lstmae.datasets import make_ecg_beats, make_ecg_recording


def test_beats_shape_labels_and_reproducibility():
    X, y = make_ecg_beats(40, n_timesteps=50, anomaly_fraction=0.25, random_state=0)
    assert X.shape == (40, 50, 3) and y.shape == (40,)
    assert set(np.unique(y)) == {-1, 1} and (y == -1).sum() == 10
    X2, y2 = make_ecg_beats(40, n_timesteps=50, anomaly_fraction=0.25, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    # R peak of lead II near 35 % of the beat, about 1 mV
    r = X[y == 1, :, 1].argmax(axis=1)
    assert np.all(np.abs(r - 0.35 * 50) <= 2)
    assert 0.7 < np.median(X[y == 1, :, 1].max(axis=1)) < 1.3


def test_einthoven_holds_except_in_the_altered_lead():
    X, y = make_ecg_beats(30, anomaly_fraction=0.5, noise=0.0, random_state=0)
    residual = np.abs(X[:, :, 1] - X[:, :, 0] - X[:, :, 2]).max(axis=1)
    assert residual[y == 1].max() < 1e-12  # II = I + III
    assert residual[y == -1].min() > 0.05


@pytest.mark.parametrize("lead", [0, 2])
def test_anomalies_change_one_lead_only(lead):
    kwargs = dict(anomaly_fraction=0.5, noise=0.0, random_state=0)
    X, y = make_ecg_beats(20, anomalous_lead=lead, **kwargs)
    X_other, _ = make_ecg_beats(20, anomalous_lead=1, **kwargs)
    changed = np.abs(X - X_other).max(axis=1)  # (beat, lead)
    assert changed[y == 1].max() == 0.0
    others = [c for c in range(3) if c not in (lead, 1)]
    assert changed[y == -1][:, others].max() == 0.0
    assert changed[y == -1][:, lead].min() > 0.02  # T is small in lead III


def test_variable_length_beats():
    X, y = make_ecg_beats(30, n_timesteps=100, variable_length=True, random_state=0)
    lengths = np.array([len(x) for x in X])
    assert isinstance(X, list) and all(x.shape[1] == 3 for x in X)
    assert lengths.min() >= 60 and lengths.max() <= 120 and np.ptp(lengths) > 10


def test_recording():
    signal, is_anomaly = make_ecg_recording(
        50, anomaly_fraction=0.1, sampling_rate=100, random_state=0
    )
    assert signal.ndim == 1 and signal.shape == is_anomaly.shape
    assert 50 * 0.7 * 100 < len(signal) < 50 * 1.0 * 100
    # five abnormal beats, 0.6 s each
    assert is_anomaly.sum() == pytest.approx(5 * 61, abs=5)
    leads, is_anomaly3 = make_ecg_recording(
        50, anomaly_fraction=0.1, all_leads=True, random_state=0
    )
    assert leads.shape == (len(signal), 3)
    np.testing.assert_array_equal(leads[:, 1], signal)
    np.testing.assert_array_equal(is_anomaly3, is_anomaly)


def test_generators_validate_parameters():
    with pytest.raises(ValueError, match="'anomalous_lead' parameter"):
        make_ecg_beats(10, anomalous_lead=3)
    with pytest.raises(ValueError, match="'anomaly_fraction' parameter"):
        make_ecg_recording(10, anomaly_fraction=1.5)
