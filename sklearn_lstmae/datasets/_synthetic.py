"""Synthetic ECG: 3-lead heartbeats and long recordings from a wave model.

SYNTHETIC DATA. Each beat is the closed form of the z-equation of McSharry
et al.'s dynamical ECG model (IEEE Trans. Biomed. Eng. 50(3), 2003) at
constant angular speed: every wave P, Q, R, S, T is a Gaussian bump in the
cardiac phase ``theta`` in [-pi, pi), centred at the paper's angle
``theta_i`` with the paper's width ``b_i``, of height ``a_i * b_i ** 2``
(the integral of the model's ``-a_i dtheta exp(-dtheta**2 / 2 b_i**2)``
term). The paper's model is single-lead; the leads here are projections of
one frontal-plane vector per wave on the limb-lead axes I (0 deg), II
(60 deg) and III (120 deg), so Einthoven's law II = I + III holds before
noise. The wave axes are illustrative, not fitted to any patient.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

# P, Q, R, S, T (McSharry et al. 2003, table 1), turned from phase at 60 beats
# per minute into seconds from the R peak; heights scaled so that R is 1 mV.
_CENTRE = np.array([-np.pi / 3, -np.pi / 12, 0.0, np.pi / 12, np.pi / 2]) / (2 * np.pi)
_WIDTH = np.array([0.25, 0.1, 0.1, 0.1, 0.4]) / (2 * np.pi)
_HEIGHT = np.array([1.2, -5.0, 30.0, -7.5, 0.75]) * (_WIDTH * 2 * np.pi) ** 2 / 0.3
_AXIS = np.deg2rad([50.0, 30.0, 60.0, 90.0, 40.0])  # frontal-plane wave axes
_LEADS = np.deg2rad([0.0, 60.0, 120.0])  # I, II, III
_P, _Q, _R, _S, _T = range(5)
_R_AT = 0.35  # where the R peak sits in a beat, as a share of its interval


def _draw_waves(n, rng, premature=None):
    """Per-beat wave heights, centres (s), widths (s) and axes (rad): (n, 5).

    Heights jitter by 10 %, centres and widths a little, and the electrical
    axis swings a few degrees (breathing moves the heart). PVC-like beats
    (``premature``) lose the P wave and get a QRS three times as wide, a
    larger R, a T wave opposite to the QRS and an axis turned by 150 degrees.
    """
    height = _HEIGHT * rng.normal(1.0, 0.1, (n, 5))
    centre = _CENTRE + rng.normal(0.0, 0.004, (n, 5))
    width = _WIDTH * rng.normal(1.0, 0.05, (n, 5))
    axis = _AXIS + np.deg2rad(rng.normal(0.0, 5.0, (n, 1)))
    if premature is not None:
        height[premature, _P] = 0.0
        width[premature, _Q : _S + 1] *= 3.0
        height[premature, _R] *= 1.3
        height[premature, _T] *= -1.5
        axis[premature] += np.deg2rad(150.0)
    return height, centre, width, axis


def _leads(tau, rr, waves):
    """Leads I, II, III, (n, time, 3), at ``tau`` seconds from each R peak.

    The T wave comes later in slower beats (its delay scales with the square
    root of the RR interval, as the QT interval does in Bazett's formula).
    """
    height, centre, width, axis = waves
    centre = centre.copy()
    centre[:, _T] *= np.sqrt(rr)
    bumps = height[:, np.newaxis, :] * np.exp(
        -((tau[:, :, np.newaxis] - centre[:, np.newaxis, :]) ** 2)
        / (2 * width[:, np.newaxis, :] ** 2)
    )  # (n, time, wave)
    projection = np.cos(axis[:, :, np.newaxis] - _LEADS)  # (n, wave, lead)
    return np.einsum("ntw,nwl->ntl", bumps, projection), bumps, centre


@validate_params(
    {
        "n_beats": [Interval(Integral, 1, None, closed="left")],
        "n_timesteps": [Interval(Integral, 8, None, closed="left")],
        "anomaly_fraction": [Interval(Real, 0, 1, closed="both")],
        "anomalous_lead": [Interval(Integral, 0, 2, closed="both")],
        "variable_length": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_ecg_beats(
    n_beats=200,
    *,
    n_timesteps=100,
    anomaly_fraction=0.1,
    anomalous_lead=0,
    variable_length=False,
    noise=0.02,
    random_state=None,
):
    """Synthetic 3-lead heartbeats; anomalies change the shape of one lead only.

    **Synthetic data**, from a physiological wave model, not recordings: each
    beat is a sum of Gaussian waves P, Q, R, S, T in the cardiac phase (the
    closed form of McSharry et al.'s 2003 ECG model at constant heart rate),
    seen in the limb leads I, II and III as projections of one vector per
    wave, with per-beat jitter of the waves and of the electrical axis, and
    white noise. An anomalous beat has, in lead ``anomalous_lead`` only, an
    inverted T wave or a raised ST segment (+0.2 mV), half of each; its other
    two leads are normal beats. Such a change cannot come from a change of
    the heart's vector (the leads would change together): it is the kind of
    anomaly a detector looking at one lead, or at an average of the leads,
    can miss.

    Parameters
    ----------
    n_beats : int, default=200
        Number of beats.
    n_timesteps : int, default=100
        Samples per beat, when ``variable_length`` is False (every beat is
        then sampled on the same phase grid, as ECG5000's beats were
        interpolated to 140 samples).
    anomaly_fraction : float, default=0.1
        Share of anomalous beats (rounded down).
    anomalous_lead : {0, 1, 2}, default=0
        The lead (I, II, III) whose shape anomalous beats change.
    variable_length : bool, default=False
        Each beat has its own heart rate, drawn between 50 and 100 beats per
        minute, and spans one RR interval with the R peak at 35 % of it. If
        True, it is sampled at ``n_timesteps`` Hz, so it keeps its own length
        (``n_timesteps`` samples at 60 per minute); if False, every beat is
        sampled with ``n_timesteps`` samples.
    noise : float, default=0.02
        Standard deviation of the white noise, in mV (the R wave of lead II
        is about 1 mV).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    X : ndarray of shape (n_beats, n_timesteps, 3), or list of arrays
        The beats, in mV; a list of (length_i, 3) arrays when
        ``variable_length`` is True.
    y : ndarray of shape (n_beats,)
        1 for a normal beat, -1 for an anomalous one (the ``predict``
        convention); anomalies are spread at random positions.

    Examples
    --------
    >>> from sklearn_lstmae.datasets import make_ecg_beats
    >>> X, y = make_ecg_beats(50, anomaly_fraction=0.2, random_state=0)
    >>> X.shape, int((y == -1).sum())
    ((50, 100, 3), 10)
    """
    rng = check_random_state(random_state)
    rr = 60.0 / rng.uniform(50, 100, n_beats)  # seconds between R peaks
    if variable_length:
        lengths = np.round(rr * n_timesteps).astype(np.int64)
    else:
        lengths = np.full(n_beats, n_timesteps, dtype=np.int64)
    y = np.ones(n_beats, dtype=np.int64)
    anomalous = rng.permutation(n_beats)[: int(anomaly_fraction * n_beats)]
    y[anomalous] = -1
    kind = np.zeros((n_beats, 1), dtype=np.int64)  # 1: T inverted, 2: ST raised
    kind[anomalous, 0] = 1 + np.arange(anomalous.size) % 2

    steps = np.arange(lengths.max())
    tau = (steps / lengths[:, np.newaxis] - _R_AT) * rr[:, np.newaxis]
    waves = _draw_waves(n_beats, rng)
    signal, bumps, centre = _leads(tau, rr, waves)
    lead = anomalous_lead
    t_wave = bumps[:, :, _T] * np.cos(waves[3][:, [_T]] - _LEADS[lead])
    st_mid = (centre[:, [_S]] + centre[:, [_T]]) / 2
    st = 0.2 * np.exp(-((tau - st_mid) ** 2) / (2 * 0.04**2))
    signal[:, :, lead] += np.where(kind == 1, -2 * t_wave, 0.0)
    signal[:, :, lead] += np.where(kind == 2, st, 0.0)
    signal += rng.normal(0.0, noise, signal.shape)
    if not variable_length:
        return signal, y
    real = steps < lengths[:, np.newaxis]
    return np.split(signal[real], np.cumsum(lengths)[:-1]), y


@validate_params(
    {
        "n_beats": [Interval(Integral, 1, None, closed="left")],
        "sampling_rate": [Interval(Integral, 8, None, closed="left")],
        "anomaly_fraction": [Interval(Real, 0, 1, closed="both")],
        "all_leads": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_ecg_recording(
    n_beats=300,
    *,
    sampling_rate=100,
    anomaly_fraction=0.05,
    all_leads=False,
    noise=0.02,
    random_state=None,
):
    """A long synthetic ECG with premature ventricular beats at random places.

    **Synthetic data**: beats of :func:`make_ecg_beats`'s wave model one after
    the other, with a heart rate wandering around 70 per minute, a slow
    baseline wander (breathing, 0.2-0.3 Hz) and white noise. Abnormal beats
    are PVC-like: premature (70 % of the usual interval, followed by a
    compensatory pause), without P wave, with a QRS three times as wide and
    a T wave opposite to it, in every lead. ``is_anomaly`` marks the samples
    from 0.1 s before to 0.5 s after the R peak of each abnormal beat.

    Parameters
    ----------
    n_beats : int, default=300
        Number of beats.
    sampling_rate : int, default=100
        Samples per second.
    anomaly_fraction : float, default=0.05
        Share of PVC-like beats (rounded down); never the first or last beat.
    all_leads : bool, default=False
        If False, return lead II only, a 1-D series; if True, leads I, II and
        III as columns.
    noise : float, default=0.02
        Standard deviation of the white noise, in mV.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    signal : ndarray of shape (n_timestamps,) or (n_timestamps, 3)
        The recording, in mV.
    is_anomaly : ndarray of shape (n_timestamps,), dtype bool
        True on the samples of the abnormal beats.

    Examples
    --------
    >>> from sklearn_lstmae.datasets import make_ecg_recording
    >>> signal, is_anomaly = make_ecg_recording(20, anomaly_fraction=0.1,
    ...                                         random_state=0)
    >>> signal.ndim, bool(is_anomaly.any())
    (1, True)
    """
    rng = check_random_state(random_state)
    fs = sampling_rate
    # Sinus rhythm around 70 per minute, slowly varying, with a little jitter.
    rr = 60.0 / 70.0 * (1 + 0.05 * np.sin(np.arange(n_beats) / 4.0))
    rr *= rng.normal(1.0, 0.02, n_beats)
    premature = np.zeros(n_beats, dtype=bool)
    n_abnormal = min(int(anomaly_fraction * n_beats), max(n_beats - 2, 0))
    premature[1 + rng.permutation(max(n_beats - 2, 0))[:n_abnormal]] = True
    interval = np.where(premature, 0.7 * rr, rr)  # from the previous R peak
    interval[1:] = np.where(premature[:-1], 1.3 * rr[1:], interval[1:])
    r_peak = 0.5 + np.cumsum(interval) - interval[0]  # seconds

    # Every beat drawn over 0.5 s before to 0.7 s after its R peak, then added
    # into the recording at its place (neighbouring beats may overlap).
    n_timestamps = int(np.ceil((r_peak[-1] + 0.7) * fs)) + 1
    index = np.round((r_peak - 0.5) * fs).astype(np.int64)[:, np.newaxis]
    index = index + np.arange(int(round(1.2 * fs)))
    tau = index / fs - r_peak[:, np.newaxis]
    beats, _, _ = _leads(tau, rr, _draw_waves(n_beats, rng, premature))
    signal = np.zeros((n_timestamps, 3))
    np.add.at(signal, index.ravel(), beats.reshape(-1, 3))
    t = np.arange(n_timestamps) / fs
    wander = 0.1 * np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 2 * np.pi))
    signal += wander[:, np.newaxis] + rng.normal(0.0, noise, signal.shape)

    is_anomaly = np.zeros(n_timestamps, dtype=bool)
    near = (tau >= -0.1) & (tau <= 0.5) & premature[:, np.newaxis]
    is_anomaly[index[near]] = True
    return (signal if all_leads else signal[:, 1]), is_anomaly
