"""Helpers of benchmarks/ecg5000.py that decide what its report says.

The benchmark itself runs for minutes and is not a test; these are the pieces
whose mistakes would print wrong numbers (or none) without failing.
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def ecg5000_benchmark():
    sys.path.insert(0, str(BENCHMARKS))  # the scripts import their _common
    try:
        yield importlib.import_module("ecg5000")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_quick_cap_applies_to_the_auto_epochs(ecg5000_benchmark):
    # --quick caps max_epochs; the default is the string "auto", which the
    # cap once compared with an int and crashed.
    make = ecg5000_benchmark._lstm
    capped = make(0, {"max_epochs": 2, "params": {}})
    assert capped.max_epochs == 2
    assert capped.random_state == 0
    explicit = make(0, {"max_epochs": 2, "params": {"max_epochs": 1}})
    assert explicit.max_epochs == 1
    assert make(0, {"max_epochs": None, "params": {}}).max_epochs == "auto"


def test_threshold_ceiling_on_a_known_ranking(ecg5000_benchmark):
    # Normals score 0, 1, 2, 3; anomalies 2.5, 4, 5, 6. The best thresholds
    # (between 2 and 2.5, or between 3 and 4) give 3/4 + 4/4 or 4/4 + 3/4.
    score = np.array([0, 1, 2, 3, 2.5, 4, 5, 6], dtype=float)
    anomalous = np.array([False] * 4 + [True] * 4)
    ceiling = ecg5000_benchmark._threshold_ceiling(anomalous, score)
    assert ceiling == {
        "best_bal_acc": 0.875,
        "best_both_ok": 3,
        "best_bal_acc_both_ok": 0.875,
    }


def test_threshold_ceiling_of_a_perfect_ranking(ecg5000_benchmark):
    score = np.array([0.1, 0.2, 0.3, 0.9, 1.0])
    anomalous = np.array([False, False, False, True, True])
    ceiling = ecg5000_benchmark._threshold_ceiling(anomalous, score)
    assert ceiling == {
        "best_bal_acc": 1.0,
        "best_both_ok": 2,
        "best_bal_acc_both_ok": 1.0,
    }


def _ceiling_by_brute_force(anomalous, score):
    """Every threshold ``t`` (anomalous when ``score >= t``), tried one by one."""
    best = {"best_bal_acc": 0.0, "best_both_ok": 0, "best_bal_acc_both_ok": 0.0}
    n_normal, n_anomalous = (~anomalous).sum(), anomalous.sum()
    outcomes = []
    for t in [*np.unique(score), np.inf]:
        normal_ok = int((score[~anomalous] < t).sum())
        anomalous_ok = int((score[anomalous] >= t).sum())
        bal_acc = (normal_ok / n_normal + anomalous_ok / n_anomalous) / 2
        outcomes.append((min(normal_ok, anomalous_ok), bal_acc))
    best["best_bal_acc"] = max(b for _, b in outcomes)
    best["best_both_ok"] = max(k for k, _ in outcomes)
    best["best_bal_acc_both_ok"] = max(
        b for k, b in outcomes if k == best["best_both_ok"]
    )
    return best


@pytest.mark.parametrize("seed", range(20))
def test_threshold_ceiling_matches_brute_force(ecg5000_benchmark, seed):
    # Rankings with ties, classes of equal size (as in the tutorial protocol),
    # where the most balanced threshold and the best one often differ.
    rng = np.random.default_rng(seed)
    anomalous = np.repeat([False, True], 15)
    score = rng.integers(0, 12, 30) + 4 * anomalous
    ceiling = ecg5000_benchmark._threshold_ceiling(anomalous, score.astype(float))
    expected = _ceiling_by_brute_force(anomalous, score)
    assert ceiling["best_both_ok"] == expected["best_both_ok"]
    assert ceiling["best_bal_acc"] == pytest.approx(expected["best_bal_acc"])
    assert ceiling["best_bal_acc_both_ok"] == pytest.approx(
        expected["best_bal_acc_both_ok"]
    )


def test_ceiling_per_seed_lists_every_seed(ecg5000_benchmark):
    bench = ecg5000_benchmark
    metrics = [
        {"bal_acc": 0.98, "best_bal_acc": 0.99, "best_bal_acc_both_ok": 0.97},
        {"bal_acc": 0.96, "best_bal_acc": 0.985, "best_bal_acc_both_ok": 0.975},
    ]
    runs = [{"seed": s, "metrics": m} for s, m in zip([3, 7], metrics, strict=True)]
    equal = np.repeat([1, -1], 5)
    unequal = np.array([1] * 6 + [-1] * 4)
    lines = bench._ceiling_per_seed(
        {"tutorial": {bench.LSTM: runs}, "archive": {bench.LSTM: runs[:1]}},
        {"tutorial": equal, "archive": unequal},
    )
    # One seed gives no per-seed line; the balanced-sides value needs
    # classes of equal size.
    assert lines == [
        f"{bench.LSTM}, tutorial, per seed (3, 7): bal. acc. of predict "
        "0.9800, 0.9600; best 0.9900, 0.9850; best keeping that many "
        "0.9700, 0.9750.\n"
    ]
    lines = bench._ceiling_per_seed(
        {"archive": {bench.LSTM: runs}}, {"archive": unequal}
    )
    assert lines == [
        f"{bench.LSTM}, archive, per seed (3, 7): bal. acc. of predict "
        "0.9800, 0.9600; best 0.9900, 0.9850.\n"
    ]


def test_misranked_beats_on_a_known_ranking(ecg5000_benchmark):
    # One feature, training beats at 0: a test beat's distance to the nearest
    # training beat is its value; the test normals' median distance is 3.
    X_train = np.zeros((2, 1))
    X_test = np.array([1, 2, 3, 4, 10, 0.5, 5, 6, 7, 8], dtype=float)[:, None]
    y = np.repeat([1, -1], 5)
    runs = [
        # Normals 0.9 and 1.0 out-score anomaly 0.85; 1.0 also 0.95. For 4/5
        # normals right a threshold must pass 0.9, which misses 0.85 (not 0.95).
        {"anomaly_score": np.array([0.1, 0.2, 0.3, 0.9, 1.0, 0.85, 0.95, 2, 3, 4])},
        {"anomaly_score": np.array([0.1, 0.2, 0.3, 0.4, 0.5, 1, 2, 3, 4, 5])},
    ]
    beats = ecg5000_benchmark._misranked_beats(X_train, X_test, y, runs, 4)
    assert [b["beat"] for b in beats] == [4, 3, 5]
    assert [b["normal"] for b in beats] == [True, True, False]
    np.testing.assert_allclose([b["distance"] for b in beats], [10 / 3, 4 / 3, 0.5 / 3])
    assert [b["normals_farther"] for b in beats] == [0, 1, 5]
    assert [b["wrong_side"] for b in beats] == [[2, 0], [1, 0], [2, 0]]


def test_misranked_beats_of_a_perfect_ranking_is_empty(ecg5000_benchmark):
    X_train = np.zeros((3, 2))
    X_test = np.arange(12, dtype=float).reshape(6, 2)
    y = np.repeat([1, -1], 3)
    runs = [{"anomaly_score": np.array([0.0, 1, 2, 3, 4, 5])}]
    assert ecg5000_benchmark._misranked_beats(X_train, X_test, y, runs, 3) == []
