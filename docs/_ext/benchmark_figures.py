"""Sphinx extension: figures of the benchmark tables, drawn at build time.

``BENCHMARKS.md`` holds sections between ``<!-- name:start -->`` and
``<!-- name:end -->`` markers, with ``###`` subsections and markdown tables.
When the build starts, this extension reads the sections ``suite``,
``suite-contaminated-0.1`` and ``ecg5000`` and draws, into
``benchmark_figures_dir`` (relative to the docs folder):

* ``suite_auroc.png``: the mean AUROC of every detector on each dataset of
  the suite (its "Mean AUROC" tables and the mean over the one-class UCR
  datasets);
* ``suite_contaminated_auroc.png``: the same from the section
  ``suite-contaminated-0.1`` (a tenth of each training set from other
  classes);
* ``ecg5000.png``: AUROC and balanced accuracy of each detector in the two
  ECG5000 protocols.

A missing marker, subsection or table stops the build with a message naming
what is missing; so does a table whose cells hold no number at all.

On the page that shows the tables (``benchmark_tables_page``), table cells
that hold only a number, such as ``0.9972 ± 0.0015`` or ``141.0 ± 0.0
/145``, get the class ``nowrap``, so that a narrow column does not break a
number over three lines (the wide tables scroll instead).
"""

import math
import re
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_SPREAD = re.compile(r"±\s*(\d+(?:\.\d+)?)")
# A cell that is a number: digits with ±, /, %, x, signs, brackets, units.
_NUMERIC_CELL = re.compile(
    r"[\d\s.,±/%x+\-<>=()*]*\d[\d\s.,±/%x+\-<>=()*]*(?: ?[kMG]?i?B|s)?"
)


class BenchmarkFormatError(ExtensionError):
    """BENCHMARKS.md does not have the structure the figures need."""

    category = "BENCHMARKS.md does not have the structure the figures need"


# -- Parsing ----------------------------------------------------------------


def read_section(text, name, source="BENCHMARKS.md"):
    """The text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text:
        raise BenchmarkFormatError(f"{source}: no {start!r} marker")
    body = text.split(start, 1)[1]
    if end not in body:
        raise BenchmarkFormatError(f"{source}: {start!r} without {end!r}")
    return body.split(end, 1)[0]


def _cells(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [cell.strip() for cell in line.split("|")]


def _is_separator(line):
    return bool(re.fullmatch(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?", line))


def parse_tables(section):
    """Every markdown table of a section.

    Returns a list of dicts with ``subsection`` (the ``###`` title above it,
    ``""`` before any), ``lead`` (the last line of text above it), ``header``
    (list of column names) and ``rows`` (lists of cells).
    """
    tables, subsection, lead = [], "", ""
    lines = section.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("###"):
            subsection, lead = line.lstrip("#").strip(), ""
        elif (
            line.startswith("|")
            and i + 1 < len(lines)
            and _is_separator(lines[i + 1].strip())
        ):
            header = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                row = _cells(lines[i])
                rows.append((row + [""] * len(header))[: len(header)])
                i += 1
            tables.append(
                {"subsection": subsection, "lead": lead, "header": header, "rows": rows}
            )
            continue
        elif line:
            lead = line
        i += 1
    return tables


def parse_value(cell):
    """``(value, spread)`` of a cell such as ``**0.868 ± 0.013**``.

    The first number of the cell, and the number after ``±`` if any; NaN
    for cells without a number ("failed", "n/a").
    """
    cell = cell.replace("*", "")
    number = _NUMBER.search(cell)
    spread = _SPREAD.search(cell)
    return (
        float(number.group()) if number else math.nan,
        float(spread.group(1)) if spread else 0.0,
    )


def suite_auroc(section, source="BENCHMARKS.md, suite"):
    """Mean AUROC per dataset and detector from a suite section.

    Rows of the tables led by "Mean AUROC" (one dataset each, "mean of ..."
    rows left out), then the rows of the subsection "All one-class UCR
    datasets" (the mean over them). Returns ``(detectors, {dataset:
    {detector: (value, spread)}})``.
    """
    tables = parse_tables(section)
    chosen = [
        (t, False) for t in tables if t["lead"].lower().startswith("mean auroc")
    ] + [(t, True) for t in tables if t["subsection"].lower().startswith("all one")]
    if not chosen:
        raise BenchmarkFormatError(
            f"{source}: no table led by 'Mean AUROC' nor under '### All one-class "
            "UCR datasets'"
        )
    detectors, data = None, {}
    for table, means in chosen:
        header = table["header"]
        if header[0].lower() != "dataset" or len(header) < 2:
            raise BenchmarkFormatError(
                f"{source}: a table under '### {table['subsection']}' has the "
                f"columns {header}; expected 'dataset' and one per detector"
            )
        detectors = detectors or header[1:]
        for row in table["rows"]:
            name = row[0].replace("*", "")
            if name.lower().startswith("mean of") != means:
                continue
            data[name] = {
                det: parse_value(cell)
                for det, cell in zip(header[1:], row[1:], strict=True)
            }
    if not data or all(math.isnan(v) for row in data.values() for v, _ in row.values()):
        raise BenchmarkFormatError(f"{source}: the AUROC tables hold no numbers")
    return detectors, data


def ecg5000_scores(section, source="BENCHMARKS.md, ecg5000"):
    """AUROC and balanced accuracy per detector for each ECG5000 protocol.

    Returns ``{protocol title: {detector: {"AUROC": (value, spread),
    "bal. acc.": (value, spread)}}}`` from the tables under the
    ``### ... protocol ...`` subsections that have the columns "detector",
    "AUROC" and "bal. acc.".
    """
    needed = ("detector", "auroc", "bal. acc.")
    result = {}
    for table in parse_tables(section):
        header = [h.lower() for h in table["header"]]
        if "protocol" not in table["subsection"].lower() or not all(
            c in header for c in needed
        ):
            continue
        col = {c: header.index(c) for c in needed}
        result[table["subsection"]] = {
            row[col["detector"]].replace("*", ""): {
                "AUROC": parse_value(row[col["auroc"]]),
                "bal. acc.": parse_value(row[col["bal. acc."]]),
            }
            for row in table["rows"]
        }
    if not result:
        raise BenchmarkFormatError(
            f"{source}: no table with the columns 'detector', 'AUROC' and "
            "'bal. acc.' under a '### ... protocol ...' subsection"
        )
    return result


# -- Figures ------------------------------------------------------------------


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _grouped_barh(ax, groups, series, values, spreads, colors):
    """Horizontal bars: one group per row of ``groups`` (top to bottom)."""
    n = len(series)
    height = 0.8 / n
    for j, name in enumerate(series):
        y = [i + (j - (n - 1) / 2) * height for i in range(len(groups))]
        x = [values[i][j] for i in range(len(groups))]
        err = [spreads[i][j] for i in range(len(groups))]
        ax.barh(
            y,
            [0 if math.isnan(v) else v for v in x],
            height=height,
            xerr=err if any(err) else None,
            color=colors[j],
            label=name,
            error_kw={"lw": 0.8, "capsize": 1.5},
        )
        for yy, v in zip(y, x, strict=True):
            if math.isnan(v):
                ax.text(0.01, yy, "no result", va="center", fontsize=6, color="0.4")
    ax.set_yticks(range(len(groups)), groups)
    ax.set_ylim(len(groups) - 0.5, -0.5)  # first group on top (also when shared)


def _legend_on_top(ax, ncol):
    ax.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=ncol,
        fontsize=9,
        frameon=False,
    )


def draw_suite(detectors, data, path):
    plt = _plt()
    names = list(data)
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(names) + 1.6))
    colors = [f"C{i}" for i in range(len(detectors))]
    _grouped_barh(
        ax,
        names,
        detectors,
        [[data[n][d][0] for d in detectors] for n in names],
        [[data[n][d][1] for d in detectors] for n in names],
        colors,
    )
    ax.axvline(0.5, color="k", lw=0.8, ls=":", label="chance (0.5)")
    ax.set(xlim=(0, 1), xlabel="mean AUROC over the classes (time stamps for TSAD)")
    _legend_on_top(ax, ncol=4)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def draw_ecg5000(scores, path):
    plt = _plt()
    protocols = list(scores)
    fig, axes = plt.subplots(
        1, len(protocols), figsize=(5.2 * len(protocols), 3.6), sharey=True
    )
    axes = list(axes) if len(protocols) > 1 else [axes]
    metrics = ("AUROC", "bal. acc.")
    lowest = min(
        v
        for rows in scores.values()
        for row in rows.values()
        for v, _ in row.values()
        if not math.isnan(v)
    )
    for ax, protocol in zip(axes, protocols, strict=True):
        rows = scores[protocol]
        names = list(rows)
        _grouped_barh(
            ax,
            names,
            ["AUROC", "balanced accuracy"],
            [[rows[n][m][0] for m in metrics] for n in names],
            [[rows[n][m][1] for m in metrics] for n in names],
            ["C0", "C1"],
        )
        ax.set_xlim(max(0.0, math.floor(lowest * 20) / 20 - 0.05), 1.0)
        ax.set_title(protocol.split(":")[0], fontsize=10)
        ax.grid(axis="x", lw=0.4, alpha=0.5)
    fig.tight_layout()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=2,
        fontsize=9,
        frameon=False,
    )
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def build_figures(source, outdir):
    """Parse ``source`` (BENCHMARKS.md) and write the figures to ``outdir``."""
    source, outdir = Path(source), Path(outdir)
    if not source.is_file():
        raise BenchmarkFormatError(f"{source} not found")
    text = source.read_text(encoding="utf-8")
    outdir.mkdir(parents=True, exist_ok=True)

    detectors, data = suite_auroc(read_section(text, "suite", source.name))
    draw_suite(detectors, data, outdir / "suite_auroc.png")

    name = "suite-contaminated-0.1"
    detectors, data = suite_auroc(
        read_section(text, name, source.name), f"{source.name}, {name}"
    )
    draw_suite(detectors, data, outdir / "suite_contaminated_auroc.png")

    scores = ecg5000_scores(read_section(text, "ecg5000", source.name))
    draw_ecg5000(scores, outdir / "ecg5000.png")


def _on_builder_inited(app):
    confdir = Path(app.confdir)
    source = (confdir / app.config.benchmark_figures_source).resolve()
    outdir = confdir / app.config.benchmark_figures_dir
    logger.info(f"benchmark figures: {source} -> {outdir}")
    build_figures(source, outdir)


def _on_doctree_resolved(app, doctree, docname):
    if docname != app.config.benchmark_tables_page:
        return
    for entry in doctree.findall(nodes.entry):
        text = entry.astext().strip()
        if len(text) <= 40 and _NUMERIC_CELL.fullmatch(text):
            entry["classes"].append("nowrap")


def setup(app):
    app.add_config_value("benchmark_figures_source", "../BENCHMARKS.md", "env")
    app.add_config_value("benchmark_figures_dir", "benchmark_figures", "env")
    app.add_config_value("benchmark_tables_page", "benchmarks", "env")
    app.connect("builder-inited", _on_builder_inited)
    app.connect("doctree-resolved", _on_doctree_resolved)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
