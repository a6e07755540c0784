"""Run the detector on Dask: thread limits for workers, scoring of big data.

Grid searches go through joblib's Dask backend (see ``docs/distributed.md``);
this subpackage adds what that leaves out: :class:`LimitTorchThreads`, a
worker plugin so that torch in each task uses the threads it was given, and
:func:`score_dask` and :func:`score_shards`, which score data that does not fit
in memory, block by block on the cluster, with the scores of the in-memory
call. Importing :mod:`sklearn_lstmae` alone imports nothing of Dask.
"""

try:
    import dask  # noqa: F401
    import distributed  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "sklearn_lstmae.distributed needs Dask and dask.distributed; install them "
        "with: pip install 'sklearn-lstmae[dask]'"
    ) from exc

from ._scoring import score_dask, score_shards
from ._threads import LimitTorchThreads

__all__ = ["LimitTorchThreads", "score_dask", "score_shards"]
