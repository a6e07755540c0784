"""Train/test protocols used on ECG5000 by the tutorial and the benchmarks."""

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state


def tutorial_split(X, is_anomaly, *, random_state=42):
    """Split beats the way the LSTM-autoencoder tutorial does.

    All normal beats are split 85/15 (``random_state``); the 15 % part is
    split again 67/33 into validation and test normals; the test set is
    completed with as many anomalous beats, drawn at random without
    replacement (seeded by ``random_state`` too).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps)
        Every beat, normal and anomalous (e.g. ``load_ecg5000().data``).
    is_anomaly : array-like of shape (n_samples,), dtype bool
        True for anomalous beats.
    random_state : int, default=42
        Seed of both splits and of the anomaly draw.

    Returns
    -------
    split : Bunch
        ``X_train`` (normal), ``X_val`` (normal), ``X_test`` (test normals then
        test anomalies) and ``y_test`` (1 normal, -1 anomaly, as ``predict``
        labels them).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae.datasets import tutorial_split
    >>> X = np.arange(400.0).reshape(200, 2)
    >>> s = tutorial_split(X, np.arange(200) >= 150)
    >>> n_normal, n_anomalous = int((s.y_test == 1).sum()), int((s.y_test == -1).sum())
    >>> len(s.X_train), len(s.X_val), n_normal, n_anomalous
    (127, 15, 8, 8)
    """
    X = np.asarray(X)
    is_anomaly = np.asarray(is_anomaly, dtype=bool)
    if is_anomaly.shape != (X.shape[0],):
        raise ValueError(
            f"is_anomaly must hold one flag per row of X ({X.shape[0]}), got shape "
            f"{is_anomaly.shape}."
        )
    normal, anomalous = X[~is_anomaly], X[is_anomaly]
    train, rest = train_test_split(normal, test_size=0.15, random_state=random_state)
    val, test_normal = train_test_split(rest, test_size=0.33, random_state=random_state)
    if len(anomalous) < len(test_normal):
        raise ValueError(
            f"Need at least {len(test_normal)} anomalous beats, got {len(anomalous)}."
        )
    rng = check_random_state(random_state)
    pick = rng.choice(len(anomalous), size=len(test_normal), replace=False)
    X_test = np.concatenate([test_normal, anomalous[pick]])
    y_test = np.r_[np.ones(len(test_normal), int), -np.ones(len(test_normal), int)]
    return Bunch(X_train=train, X_val=val, X_test=X_test, y_test=y_test)
