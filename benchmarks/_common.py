"""What the benchmark scripts share: their options, tables and report sections.

Each script builds its section of BENCHMARKS.md with :func:`publish`: a title,
the stamp (date, commit, command, run time, machine, load average), then its
own paragraphs and :func:`table` s. The section lies between
``<!-- name:start -->`` and ``<!-- name:end -->``, so a new run replaces the
old one and leaves the other sections alone. ``--quick`` runs go to
``OUTPUT/BENCHMARKS-quick.md`` instead, ``--no-write`` only prints. ``OUTPUT``
(runs files, figures, quick reports) is benchmarks/output, or the folder named
by ``$SKLEARN_LSTMAE_BENCH_OUTPUT``.
"""

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "BENCHMARKS.md"
OUTPUT = Path(
    os.environ.get("SKLEARN_LSTMAE_BENCH_OUTPUT") or ROOT / "benchmarks" / "output"
)
QUICK_REPORT = OUTPUT / "BENCHMARKS-quick.md"
_HEADER = (
    "# Benchmarks\n\n"
    "Every number here was written by a script in `benchmarks/`; each section "
    "names its command, the machine and the date. Re-run the command to "
    "reproduce it.\n"
)


def parser(doc, quick_help):
    """An argument parser described by ``doc``'s first line, with the shared
    ``--quick`` (``quick_help`` says what it reduces) and ``--no-write``."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=quick_help)
    p.add_argument("--no-write", action="store_true", help="only print the report")
    return p


def table(header, rows):
    """A Markdown table: the ``header`` cells, then each row's cells."""
    lines = [header, *rows]
    text = ["| " + " | ".join(map(str, cells)) + " |" for cells in lines]
    text.insert(1, "|" + "---|" * len(header))
    return "\n".join(text)


def machine():
    """One line describing this machine: CPU model, cores, memory, GPU, versions."""
    import numpy
    import sklearn
    import skorch
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        memory = "RAM unknown"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory}, {gpu}; Python "
        f"{platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), skorch {skorch.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {numpy.__version__}"
    )


# Environment variables that change how fast the same work runs: the C
# allocator's settings, or another allocator preloaded. A command that ran
# with them names them, so that its times can be reproduced.
_SPEED_ENV = ("GLIBC_TUNABLES", "LD_PRELOAD")
_SPEED_ENV_PREFIX = "MALLOC_"


def command():
    """The command line that ran this script, as a user would type it,
    after the allocator's environment variables it ran with."""
    env = [
        f"{name}={shlex.quote(value)}"
        for name, value in sorted(os.environ.items())
        if name in _SPEED_ENV or name.startswith(_SPEED_ENV_PREFIX)
    ]
    return " ".join([*env, "python", *[_shell_word(a) for a in sys.argv]])


def _shell_word(word):
    rel = os.path.relpath(word, ROOT) if os.path.isabs(word) else word
    return rel if re.fullmatch(r"[\w./=:,-]+", rel) else repr(rel)


def _git(*args):
    out = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def git_commit():
    """The checked-out commit, marked when tracked files have changed since.

    BENCHMARKS.md does not count: the benchmarks themselves write it, so a
    chain of runs at one commit would mark every run after the first.
    """
    try:
        changed = _git(
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":(exclude)BENCHMARKS.md",
        )
        suffix = " + uncommitted changes" if changed else ""
        return _git("rev-parse", "--short", "HEAD") + suffix
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _load():
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def stamp():
    """Date, commit, command, run time and machine, as a Markdown paragraph.

    The commit and the first load average are those when this module was
    imported (the script's start); the run time counts from then too. The load
    average says how much other work shared the machine.
    """
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    minutes = (time.perf_counter() - _STARTED) / 60
    return (
        f"Measured {now} at commit `{_COMMIT_AT_START}` by `{command()}` "
        f"({minutes:.1f} min)  \n"
        f"Machine: {machine()}; load average {_LOAD_AT_START} at the start, "
        f"{_load()} at the end\n"
    )


def write_section(name, body, path=None):
    """Replace (or append) the section ``name`` of the report at ``path``
    (BENCHMARKS.md by default)."""
    path = Path(path or REPORT)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else _HEADER
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    return path


def publish(name, title, parts, args):
    """Print the section ``name`` and write it where ``args`` says; its body.

    The body: ``## title``, the stamp, a warning on a quick run, then
    ``parts`` (Markdown blocks, blank lines between). Written to BENCHMARKS.md;
    with ``args.quick`` to the quick report as ``name-quick``; with
    ``args.no_write`` nowhere.
    """
    quick = "**Quick run (reduced sizes): not comparable with the full run.**"
    blocks = [f"## {title}", stamp(), quick if args.quick else "", *parts]
    body = "\n\n".join(b.strip() for b in blocks if b) + "\n"
    print("\n" + body, flush=True)
    if not args.no_write:
        if args.quick:
            path = write_section(f"{name}-quick", body, QUICK_REPORT)
        else:
            path = write_section(name, body, REPORT)
        print(f"Report written to {path}", file=sys.stderr)
    return body


_STARTED = time.perf_counter()
_LOAD_AT_START = _load()
_COMMIT_AT_START = git_commit()
