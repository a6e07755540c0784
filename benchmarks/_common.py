"""Helpers shared by the benchmark scripts: machine description, report sections."""

import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "BENCHMARKS.md"
_HEADER = (
    "# Benchmarks\n\n"
    "Every number here was written by a script in `benchmarks/`; each section "
    "names its command, the machine and the date. Re-run the command to "
    "reproduce it.\n"
)


def machine():
    """One line describing this machine: CPU model, cores, memory, GPU, versions."""
    import numpy
    import sklearn
    import skorch
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", text)
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


def command():
    """The command line that ran this script, as a user would type it."""
    return " ".join(["python", *[_shell_word(a) for a in sys.argv]])


def _shell_word(word):
    rel = os.path.relpath(word, ROOT) if os.path.isabs(word) else word
    return rel if re.fullmatch(r"[\w./=:,-]+", rel) else repr(rel)


def _git(*args):
    out = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def git_commit():
    """The checked-out commit, marked when tracked files have changed since."""
    try:
        changed = _git("status", "--porcelain", "--untracked-files=no")
        suffix = " + uncommitted changes" if changed else ""
        return _git("rev-parse", "--short", "HEAD") + suffix
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def stamp():
    """Date, commit, machine and command, as a Markdown paragraph.

    The commit is the one checked out when this module was imported (the
    script's start), not when the report is written.
    """
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Measured {now} at commit `{_COMMIT_AT_START}` by `{command()}`  \n"
        f"Machine: {machine()}\n"
    )


def write_section(name, body, path=REPORT):
    """Replace (or append) the section ``name`` of BENCHMARKS.md with ``body``.

    A section lies between ``<!-- name:start -->`` and ``<!-- name:end -->``,
    so each benchmark script rewrites its own part and leaves the others.
    """
    path = Path(path)
    text = path.read_text() if path.exists() else _HEADER
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else (text.rstrip() + "\n\n" + block + "\n")
    )
    path.write_text(text)
    return path


_COMMIT_AT_START = git_commit()
