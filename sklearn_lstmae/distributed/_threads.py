"""A Dask worker plugin capping the threads torch uses in each task."""

import threading
from numbers import Integral

import torch
from distributed import WorkerPlugin

_BARRIER_TIMEOUT_S = 10.0


class LimitTorchThreads(WorkerPlugin):
    """Set ``torch.set_num_threads(n_threads)`` on every Dask worker.

    Without a limit, each task that trains or scores the detector may start
    as many torch threads as the machine has cores, so a machine running
    several worker processes or threads is oversubscribed. Register this
    plugin once on the client; it applies to the workers there are and to
    those that join later.

    Parameters
    ----------
    n_threads : int, default=1
        Intra-op threads torch may use in each task. The cores of a machine
        are well used, and not oversubscribed, when ``n_threads`` times the
        threads of all its workers equals its number of cores.

    Attributes
    ----------
    name : str
        The plugin's name on the cluster: registering another
        ``LimitTorchThreads`` replaces the previous one.

    See Also
    --------
    score_dask : Score a Dask array of sequences on the cluster.
    score_shards : Score ``.npy``/``.parquet`` shards on the cluster.

    Notes
    -----
    torch keeps its thread setting per OS thread (OpenMP), so the plugin sets
    the default for worker threads still to come and also runs the setting
    once on each thread of the worker's task pool that already exists. Register
    the plugin before submitting work: a pool thread busy with a long task
    while the plugin is set up may keep its old setting.

    Worker processes started by a ``Nanny`` (``LocalCluster(processes=True)``,
    ``dask worker``) start with ``OMP_NUM_THREADS=1`` (Dask's
    ``distributed.nanny.pre-spawn-environ``), so torch already uses one thread
    per task there; the plugin sets another number, e.g. one worker thread per
    process with ``n_threads`` cores each, and sets a limit where no such
    variable applies (``processes=False``).

    Examples
    --------
    >>> from sklearn_lstmae.distributed import LimitTorchThreads
    >>> plugin = LimitTorchThreads(n_threads=2)
    >>> plugin.n_threads
    2
    >>> from distributed import Client, LocalCluster
    >>> cluster = LocalCluster(n_workers=2, threads_per_worker=1)  # doctest: +SKIP
    >>> client = Client(cluster)  # doctest: +SKIP
    >>> client.register_plugin(plugin)  # doctest: +SKIP
    >>> import torch
    >>> client.submit(torch.get_num_threads, pure=False).result()  # doctest: +SKIP
    2
    """

    name = "sklearn-lstmae-limit-torch-threads"

    def __init__(self, n_threads=1):
        if (
            not isinstance(n_threads, Integral)
            or isinstance(n_threads, bool)
            or n_threads < 1
        ):
            raise ValueError(f"n_threads must be an integer >= 1, got {n_threads!r}.")
        self.n_threads = int(n_threads)

    def setup(self, worker):
        torch.set_num_threads(self.n_threads)  # default for threads to come
        executor = worker.executors.get("default")
        if executor is not None:
            _set_on_each_thread(executor, self.n_threads)

    def __repr__(self):
        return f"LimitTorchThreads(n_threads={self.n_threads})"


def _set_on_each_thread(executor, n_threads):
    """Queue one job per pool thread that sets torch's threads, without waiting.

    The jobs meet at a barrier, so that each one holds its thread until all
    are running: every thread of the pool runs exactly one of them before it
    takes the next task from the queue.
    """
    size = getattr(executor, "_max_workers", 0)
    if size < 1:
        return
    barrier = threading.Barrier(size)
    for _ in range(size):
        executor.submit(_set_threads_and_wait, n_threads, barrier)


def _set_threads_and_wait(n_threads, barrier):
    torch.set_num_threads(n_threads)
    try:
        barrier.wait(_BARRIER_TIMEOUT_S)
    except threading.BrokenBarrierError:
        pass  # a thread was busy: the others go on, that one keeps its setting
