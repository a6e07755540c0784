"""Fast tests of benchmarks/suite.py's pure helpers (no data, no training).

Run with ``python -m pytest benchmarks/test_suite_helpers.py``.
"""

import json
from argparse import Namespace

import _suite_data as data
import numpy as np
import suite


def _record(dataset="UnitTest", unit="1", detector="LSTM", seed=0, **result):
    record = {"group": data.group_of(dataset), "dataset": dataset, "class": unit}
    return record | {"detector": detector, "seed": seed, "config": "defaults"} | result


# UnitTest, two classes. LSTM per seed: (0.9 + 0.4) / 2 = 0.65 and (0.8 + 0.6) / 2
# = 0.7; IsolationForest 0.7; OneClassSVM (no seed) 0.65; KNN fails; ROCKAD 0.6.
RECORDS = [
    _record(unit="1", auroc=0.9, fit_s=2.0),
    _record(unit="2", auroc=0.4, fit_s=4.0),
    _record(unit="1", seed=1, auroc=0.8, fit_s=3.0),
    _record(unit="2", seed=1, auroc=0.6, fit_s=5.0),
    *(
        _record(unit=u, detector="IsolationForest", seed=s, auroc=0.7, fit_s=0.1)
        for u in "12"
        for s in (0, 1)
    ),
    _record(unit="1", detector="OneClassSVM", seed=None, auroc=0.8, fit_s=0.01),
    _record(unit="2", detector="OneClassSVM", seed=None, auroc=0.5, fit_s=0.01),
    _record(unit="1", detector="KNN", seed=None, error="ValueError: too few"),
    _record(unit="2", detector="KNN", seed=None, auroc=0.9, fit_s=0.01),
    *(
        _record(unit=u, detector="ROCKAD", seed=s, auroc=0.6, fit_s=1.0)
        for u in "12"
        for s in (0, 1)
    ),
]


def test_pad_last_repeats_each_series_last_value():
    padded = data.pad_last([np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])], 4)
    np.testing.assert_array_equal(padded, [[1, 2, 2, 2], [3, 4, 5, 5]])
    equal = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(data.pad_last(equal, 3), equal)


def test_resume_key_ignores_results_and_separates_configurations(tmp_path):
    job = _record(params={"max_epochs": 2}, config=suite.config_key({"max_epochs": 2}))
    done = job | {"auroc": 0.9, "fit_s": 1.0}
    assert suite.job_key(job) == suite.job_key(done)
    assert suite.job_key(job) != suite.job_key(_record())
    assert suite.job_key(_record()) != suite.job_key(_record(seed=1))
    assert suite.config_key({}) == "defaults"
    path = tmp_path / "runs.jsonl"
    lines = [json.dumps(done), json.dumps(done | {"auroc": 0.5}), '{"cut sho']
    path.write_text("\n".join(lines))
    assert suite.read_runs(path) == {suite.job_key(job): done | {"auroc": 0.5}}
    assert suite.read_runs(tmp_path / "missing.jsonl") == {}


def test_tables_bold_the_best_and_mark_failures():
    cells = suite.summarize(RECORDS)
    rows = suite.dataset_rows(cells, ["UnitTest"])
    means = suite.grid([*rows, suite.mean_row(cells, ["UnitTest"])], suite.DETECTORS)
    # KNN failed on class 1: its mean is over class 2 alone, and says so.
    expected = "0.675 ± 0.035 | 0.700 | 0.650 | n/a | **0.900 (1 failed)** | 0.600 |"
    assert f"| UnitTest | {expected}" in means
    assert f"| mean of 1 one-class UCR | {expected}" in means
    worst = suite.grid(rows, suite.DETECTORS, suite.worst_text)
    assert (
        "| UnitTest | 0.500 (class 2) | 0.700 (class 1) | 0.500 (class 2) | n/a "
        "| **0.900 (class 2)** |" in worst
    )
    fit = suite.grid(rows, suite.DETECTORS, suite.fit_text)
    assert "| UnitTest | 3.50 | 0.10 | 0.01 | n/a | 0.01 | 1.00 |" in fit


def test_verdicts_compare_with_the_best_classical_peer_and_rockad():
    table = suite.verdict_table(suite.summarize(RECORDS))
    peer = "best classical: KNN 0.9000"
    assert f"| UnitTest | 0.6750 | {peer} | **no** | 1, 0 |" in table
    assert f"| suite mean of 1 | 0.6750 | {peer} | **no** | 1, 0 |" in table
    assert "| suite mean vs ROCKAD | 0.6750 | ROCKAD 0.6000 | yes |  |" in table


def test_ecg5000_targets_and_top_stamp_hits():
    records = [
        _record("ECG5000", "tutorial", seed=0, auroc=0.999, fit_s=1.0),
        _record("ECG5000", "tutorial", seed=1, auroc=0.996, fit_s=1.0),
        _record("yahoo", "series", seed=0, auroc=0.8, top_hit=True, fit_s=1.0),
        _record("yahoo", "series", seed=1, auroc=0.9, top_hit=False, fit_s=1.0),
    ]
    cells = suite.summarize(records)
    targets = suite.ecg_targets(cells)
    measured = "0.9975 (worst seed 0.9960)"
    assert f"| ECG5000 tutorial: AUROC ≥ 0.997 | {measured} | yes | **no** |" in targets
    assert "archive" not in targets
    assert suite.auroc_text(cells["yahoo", "LSTM"], "LSTM")[1] == (
        "0.850 ± 0.071, top 1/2"
    )


def test_contaminated_training_sets_add_other_classes_series():
    X = [np.zeros(3), np.zeros(4)] * 9  # 18 series of class "a"
    pool = np.arange(40.0).reshape(10, 4)  # 10 series of class "b"

    class UCR:
        data = [*X, *pool]
        target = np.array(["a"] * 18 + ["b"] * 10)
        split = np.array(["train"] * 28)

    task = data.Task(X, [], np.array([]), 4)
    real = data._ucr
    data._ucr = lambda name: UCR
    try:
        out = data.contaminated(task, "toy", "a", 0.1)
        again = data.contaminated(task, "toy", "a", 0.1)
    finally:
        data._ucr = real
    assert len(out.X_train) == 20  # 2 added: 10 % of the 20
    added = [s for s in out.X_train if s.size == 4 and s.any()]
    assert len(added) == 2 and all(s[0] % 4 == 0 for s in added)
    assert [s.tolist() for s in out.X_train] == [s.tolist() for s in again.X_train]
    assert "contaminated 0.1" in suite.config_key({}, 0.1)


def test_section_names_name_the_options_and_the_contamination():
    def name(quick=False, contaminate=0.0, **params):
        args = Namespace(quick=quick, lstm_params=params, contaminate=contaminate)
        return suite.section_name(args)

    assert name() == "suite"
    assert name(max_epochs=2, contaminate=0.1) == (
        "suite-options-max_epochs-2-contaminated-0.1"
    )
    assert name(quick=True, max_epochs=2) == "suite"  # publish adds "-quick"
