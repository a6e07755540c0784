"""Child process of ``speed.py``: time and peak memory of one ``score_samples``.

Run as ``python benchmarks/_speed_scoring.py MODEL N THREADS``: loads the
joblib-saved detector ``MODEL``, draws ``N`` standard-normal float32 beats
shaped like its training data, scores a first chunk once (warm-up: torch's
kernels and allocator), then takes the baseline (resident memory now, with the
model and the input in memory) and scores all ``N`` beats. Prints one JSON line.

Peak resident memory is the kernel's high-water mark (``ru_maxrss``) when
scoring raised it, else the highest of a 2 ms ``psutil`` poll; "above
baseline" is that peak minus the resident memory just before scoring, so
it is the memory scoring needs beyond the model and the input.
"""

import gc
import json
import resource
import sys
import threading
import time

import joblib
import numpy as np
import psutil
import torch
from _speed_loops import timed


def _maxrss_bytes():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class _Poller(threading.Thread):
    """Highest resident set size seen while running, sampled every 2 ms."""

    def __init__(self, process):
        super().__init__(daemon=True)
        self.process, self.peak, self.done = process, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.002)


def main(model_path, n, threads):
    torch.set_num_threads(threads)
    det = joblib.load(model_path)
    cuda = torch.device(det.device_).type == "cuda"
    shape = (n, det.n_timesteps_)
    if det.n_channels_ > 1:
        shape += (det.n_channels_,)
    X = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    det.score_samples(X[: min(n, 1024)])  # warm-up, excluded
    gc.collect()
    process = psutil.Process()
    before, maxrss_before = process.memory_info().rss, _maxrss_bytes()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    poller = _Poller(process)
    poller.start()
    seconds, scores = timed(lambda: det.score_samples(X), det.device_)
    poller.done.set()
    poller.join()
    maxrss_after = _maxrss_bytes()
    peak = maxrss_after if maxrss_after > maxrss_before else max(poller.peak, before)
    if scores.shape != (n,) or not np.isfinite(scores).all():
        sys.exit(f"score_samples gave {scores.shape} scores, not all finite")
    result = {
        "n": n,
        "seconds": seconds,
        "input_bytes": X.nbytes,
        "baseline_rss": before,
        "peak_rss": peak,
        "gpu_peak_bytes": torch.cuda.max_memory_allocated() if cuda else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
