"""sphinx-gallery hooks for examples that write their figures as PNG files.

The examples are command-line scripts: they save each figure with
``fig.savefig`` into the folder given by ``--output`` and close it, so
matplotlib's scraper finds nothing open. Instead, ``output_argv`` gives each
example a fresh folder of its own (``auto_examples/_output/<name>``), and
``png_scraper`` shows the PNG files that appeared there, in the order they
were written. An example without ``--output`` runs without arguments.
"""

import os
import shutil
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst


def _output_dir(gallery_conf, src_file):
    src_file = Path(src_file)
    gallery_dir = gallery_conf["gallery_dirs"]
    if not isinstance(gallery_dir, str):  # one gallery in this project
        gallery_dir = gallery_dir[0]
    return Path(gallery_conf["src_dir"]) / gallery_dir / "_output" / src_file.stem


class OutputArgv:
    """sphinx-gallery's ``reset_argv``: ``--output`` to a fresh folder."""

    def __call__(self, gallery_conf, script_vars):
        src_file = Path(script_vars["src_file"])
        if '"--output"' not in src_file.read_text():
            return []
        output = _output_dir(gallery_conf, src_file)
        shutil.rmtree(output, ignore_errors=True)
        output.mkdir(parents=True)
        # relative to the example's folder, where it runs: no machine paths
        # in the pages
        return ["--output", os.path.relpath(output, src_file.parent)]

    def __repr__(self):  # sphinx-gallery compares configurations by repr
        return "gallery_hooks.output_argv"


class PNGScraper:
    """sphinx-gallery image scraper: the PNG files the example wrote."""

    def __init__(self):
        self._shown = set()

    def __call__(self, block, block_vars, gallery_conf):
        output = _output_dir(gallery_conf, block_vars["src_file"])
        if not output.is_dir():
            return ""
        new = [
            path
            for path in output.glob("*.png")
            if (path, path.stat().st_mtime_ns) not in self._shown
        ]
        new.sort(key=lambda path: (path.stat().st_mtime_ns, path.name))
        images = []
        paths = block_vars["image_path_iterator"]  # stops with the new files
        for path, image_path in zip(new, paths, strict=False):
            self._shown.add((path, path.stat().st_mtime_ns))
            shutil.copyfile(path, image_path)
            images.append(image_path)
        # one full-width image each: the figures are wide, several panels
        return "".join(figure_rst([image], gallery_conf["src_dir"]) for image in images)

    def __repr__(self):
        return "gallery_hooks.png_scraper"


class ExampleOrder:
    """sphinx-gallery's ``within_subsection_order``: the tutorial first.

    Examples not named here come last, by file name.
    """

    ORDER = (
        "ecg5000_anomaly_detection.py",
        "threshold_tuning.py",
        "grid_search.py",
        "localise_anomalies.py",
        "encoder_features.py",
        "multilead_beats.py",
        "long_recording.py",
        "dask_grid_search.py",
        "dask_scoring.py",
    )

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name in self.ORDER:
            return (self.ORDER.index(name), name)
        return (len(self.ORDER), name)

    def __repr__(self):
        return "gallery_hooks.ExampleOrder"


output_argv = OutputArgv()
png_scraper = PNGScraper()
