"""Fast tests of the benchmarks' shared report helper and of pieces of the
scripts whose mistakes would print wrong numbers (or none) without failing.

Run with ``cd benchmarks && python -m pytest test_benchmark_helpers.py``.
"""

from argparse import Namespace

import _common
import ecg5000
import numpy as np
import pytest


def test_table_has_a_header_a_rule_and_one_line_per_row():
    text = _common.table(["a", "b"], [[1, "x"], [2.5, None]])
    assert text.splitlines() == [
        "| a | b |",
        "|---|---|",
        "| 1 | x |",
        "| 2.5 | None |",
    ]
    assert _common.table(["only"], []) == "| only |\n|---|"


def test_write_section_replaces_its_own_section_and_keeps_the_others(tmp_path):
    path = tmp_path / "report.md"
    _common.write_section("one", "first", path)
    _common.write_section("two", "second", path)
    _common.write_section("one", "again\n", path)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n")
    assert text.count("<!-- one:start -->") == text.count("<!-- one:end -->") == 1
    assert "<!-- one:start -->\nagain\n<!-- one:end -->" in text
    assert "first" not in text
    # Section names that are prefixes of one another stay apart.
    _common.write_section("one-quick", "quick", path)
    _common.write_section("one", "third", path)
    text = path.read_text()
    assert "<!-- one-quick:start -->\nquick\n<!-- one-quick:end -->" in text
    assert "<!-- one:start -->\nthird\n<!-- one:end -->" in text
    assert text.index("one:start") < text.index("two:start") < text.index("quick")


@pytest.fixture
def reports(tmp_path, monkeypatch):
    full, quick = tmp_path / "BENCHMARKS.md", tmp_path / "out" / "quick.md"
    monkeypatch.setattr(_common, "REPORT", full)
    monkeypatch.setattr(_common, "QUICK_REPORT", quick)
    return full, quick


@pytest.mark.parametrize("quick", [False, True])
def test_publish_writes_title_stamp_and_parts(reports, quick, capsys):
    full, quick_path = reports
    args = Namespace(quick=quick, no_write=False)
    parts = ["Some words.\n", "", _common.table(["x"], [[1]])]
    body = _common.publish("demo", "Demo", parts, args)
    blocks = body.split("\n\n")
    assert blocks[0] == "## Demo"
    assert blocks[1].startswith("Measured ") and "Machine: " in blocks[1]
    assert blocks[-2:] == ["Some words.", "| x |\n|---|\n| 1 |\n"]
    assert ("Quick run" in body) is quick
    written = quick_path if quick else full
    name = "demo-quick" if quick else "demo"
    assert f"<!-- {name}:start -->\n{body.strip()}\n<!-- {name}:end -->" in (
        written.read_text()
    )
    assert not (full if quick else quick_path).exists()
    assert body in capsys.readouterr().out


def test_publish_with_no_write_only_prints(reports, capsys):
    _common.publish("demo", "Demo", ["text"], Namespace(quick=False, no_write=True))
    assert not any(path.exists() for path in reports)
    assert "## Demo" in capsys.readouterr().out


def test_parser_has_the_shared_options():
    args = _common.parser("Title.\n\nMore.", "what --quick does").parse_args([])
    assert (args.quick, args.no_write) == (False, False)


def test_quick_cap_applies_to_the_auto_epochs():
    # --quick caps max_epochs; the default is the string "auto", which the
    # cap once compared with an int and crashed.
    make = ecg5000._lstm
    capped = make(0, {"max_epochs": 2, "params": {}})
    assert capped.max_epochs == 2
    assert capped.random_state == 0
    explicit = make(0, {"max_epochs": 2, "params": {"max_epochs": 1}})
    assert explicit.max_epochs == 1
    assert make(0, {"max_epochs": None, "params": {}}).max_epochs == "auto"


def test_ecg5000_cells_and_section_names():
    runs = [{"metrics": {"auroc": a, "count": c}} for a, c in [(0.9, 3), (0.8, 4)]]
    assert ecg5000._fmt(runs, "auroc", 3) == "0.850 ± 0.071"
    assert ecg5000._fmt(runs[:1], "auroc", 3) == "0.900"
    assert ecg5000._fmt(runs, "count", 1, total=5) == "3.5 ± 0.7 /5"
    assert ecg5000._fmt([{"metrics": {"x": None}}], "x", 0) == "n/a"
    assert ecg5000._section_name({}) == "ecg5000"
    assert ecg5000._section_name({"b": 1, "a": True}) == "ecg5000-options-a-True-b-1"


def test_ecg5000_metrics_of_a_known_prediction():
    y = np.array([1, 1, 1, -1, -1])
    run = {"anomaly_score": np.array([0.1, 0.2, 0.9, 0.8, 1.0])}
    run |= {"pred": np.array([1, 1, -1, -1, -1])}
    run |= {"fit_s": 1.0, "score_s": 0.1, "rss_mib": 5.0, "python_mib": None}
    m = ecg5000._metrics(y, run)
    assert m["auroc"] == pytest.approx(5 / 6)
    assert (m["normal_ok"], m["anomalous_ok"]) == (2, 2)
    assert m["bal_acc"] == pytest.approx((2 / 3 + 1) / 2)
    assert m["fit_s"] == 1.0


def test_forward_flops_counts_a_float64_module_as_a_float32_one():
    # A fitted detector with the code distance scores with a float64 module.
    import torch
    from _speed_loops import forward_flops

    from sklearn_lstmae._module import LSTMAutoencoder

    module = LSTMAutoencoder(1, hidden_size=8, latent_size=4, pool_states=True)
    single, _ = forward_flops(module, 20, 1)
    double, _ = forward_flops(module.to(torch.float64), 20, 1)
    assert double == single > 0


def test_command_names_the_allocator_settings_it_ran_with(monkeypatch):
    monkeypatch.setattr(_common.sys, "argv", ["benchmarks/ecg5000.py", "--no-write"])
    for name in list(_common.os.environ):
        if name.startswith("MALLOC_") or name in ("GLIBC_TUNABLES", "LD_PRELOAD"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SKLEARN_LSTMAE_DATA", "/data")  # a path, not a speed setting
    assert _common.command() == "python benchmarks/ecg5000.py --no-write"
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "67108864")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "33554432")
    assert _common.command() == (
        "MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864 "
        "python benchmarks/ecg5000.py --no-write"
    )
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/libjemalloc.so.2")
    assert _common.command().startswith("LD_PRELOAD=/usr/lib/libjemalloc.so.2 ")


@pytest.mark.skipif(not _common.sys.platform.startswith("linux"), reason="Linux")
def test_usage_counts_the_page_faults_of_fresh_memory():
    # speed.py reports faults a step from these counts; pages written for the
    # first time must show up in them.
    from _speed_loops import usage

    size = 16 * 1024 * 1024
    before = usage()
    block = np.empty(size, dtype=np.uint8)  # fresh pages (mmap)
    block[::4096] = 1  # touch each page once
    after = usage()
    # At least one fault per 2 MiB: the kernel may map huge pages.
    assert after[1] - before[1] >= size // (2 * 1024 * 1024)
    assert all(b >= a for a, b in zip(before, after, strict=True))
