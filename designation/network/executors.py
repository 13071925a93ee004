"""Where a batch's per-site work runs: local worker processes, or an existing Dask cluster.

Both sit behind one small interface (:class:`Executor`) that the batch's scheduling loop
(``batch._Workers``) drives: ``submit`` a task, recognise a lost worker, ``rebuild``,
``close``. The batch itself (what is cached, what is written, the register and the manifest)
is the same whichever runs the tasks; each task writes its own outputs atomically, so a task
run twice (a Dask retry after a worker was lost) writes the same bytes twice and nothing else.

* :class:`LocalPool`: a ``ProcessPoolExecutor`` of ``jobs`` processes. WeasyPrint's memory
  grows in a long-lived process, so after ``recycle_after`` reports per worker the pool is
  drained and replaced (:meth:`LocalPool.recycle_due`). :func:`default_jobs` sizes the pool
  by memory as well as by cores.
* :class:`DaskPool`: a ``distributed`` cluster's ``concurrent.futures`` executor. Dask
  reschedules the tasks of a lost worker on the others by itself; only a task that kills
  worker after worker (``distributed.scheduler.allowed-failures``) comes back as failed. The
  workers must see the submissions and output folders at the same paths (a shared file
  system) and run the same version of designation: both are checked before any work.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import InputError

# Reports a local worker renders before it is replaced (WeasyPrint's memory grows with each).
RECYCLE_AFTER = 50
# What one rendering worker needs at its peak (measured: benchmarks/RESULTS.md), with room.
WORKER_MB = 300
LOST = "a worker process died while processing this; run the batch again to resume"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def available_mb() -> Optional[float]:
    """Memory this process may still use, in MB: the lesser of MemAvailable and the cgroup's room."""
    found: list[float] = []
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) / 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    try:  # a container's limit (cgroup v2)
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            found.append((int(limit) - int(used)) / 2**20)
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def default_jobs(render: bool = True) -> int:
    """Worker processes for this machine: one per core, but no more than memory allows when
    rendering (each rendering worker needs about :data:`WORKER_MB`)."""
    n = cores()
    if render:
        mb = available_mb()
        if mb is not None:
            n = min(n, max(1, int(mb // WORKER_MB)))
    return max(1, n)


class Executor:
    """What the batch loop needs of a pool of workers."""

    slots: int = 1          # tasks to keep in flight (a few per worker: flat memory, workers never idle)

    def submit(self, fn: Callable[[Any], Any], item: Any) -> Future:
        raise NotImplementedError

    def lost(self, exc: BaseException) -> Optional[str]:
        """If ``exc`` (raised by a task's future) means its worker was lost: the message for the site."""
        return None

    def rebuild(self) -> None:
        """After a lost worker broke the pool: start again (the lost tasks are resubmitted)."""

    def recycle_due(self) -> bool:
        """True when the workers should be replaced once the tasks in flight are done."""
        return False

    def recycle(self) -> None:
        """Replace the workers (called with no task in flight)."""

    def close(self, cancel: bool) -> None:
        raise NotImplementedError


def _worker_init(parent: int) -> None:
    """Runs first in every worker: the worker dies with the batch that started it.

    On Linux the kernel sends SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG), even for
    kill -9; everywhere a daemon thread also watches the parent and exits when it is gone.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl: the thread still watches
            pass
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # not the batch's stop handler, inherited through fork
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if os.getppid() != parent:   # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


_PR_SET_PDEATHSIG = 1
PARENT_POLL_SECONDS = 0.5


def _process_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool whose workers never outlive this process (see :func:`_worker_init`)."""
    return ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(os.getpid(),))


class LocalPool(Executor):
    """``jobs`` local worker processes, rebuilt after a death, recycled after many reports."""

    def __init__(self, jobs: int, recycle_after: int = RECYCLE_AFTER):
        self.jobs = jobs
        self.slots = jobs * 2
        self.recycle_after = recycle_after
        self.submitted = 0
        self.counting = False   # only reports count towards recycling (assessing is light)
        self.pool = _process_pool(jobs)

    def submit(self, fn: Callable[[Any], Any], item: Any) -> Future:
        if self.counting:
            self.submitted += 1
        return self.pool.submit(fn, item)

    def lost(self, exc: BaseException) -> Optional[str]:
        return LOST if isinstance(exc, BrokenProcessPool) else None

    def rebuild(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = _process_pool(self.jobs)

    def recycle_due(self) -> bool:
        return self.counting and self.recycle_after > 0 and self.submitted >= self.jobs * self.recycle_after

    def recycle(self) -> None:
        self.pool.shutdown(wait=True)
        self.pool = _process_pool(self.jobs)
        self.submitted = 0

    def close(self, cancel: bool) -> None:
        if not cancel:
            self.pool.shutdown(wait=True)
            return
        # stopped or failed: the workers must not go on writing PDFs after the batch has ended
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        for p in processes:
            if p.is_alive():
                p.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            p.join(timeout=5)
            if p.is_alive():  # pragma: no cover - a worker ignoring SIGTERM
                p.kill()


class DaskPool(Executor):
    """Tasks on an existing Dask distributed cluster, through its ``concurrent.futures`` executor."""

    def __init__(self, scheduler: str, folders: tuple[Path, ...] = (), slots: Optional[int] = None,
                 timeout: float = 30):
        try:
            from distributed import Client
        except ImportError:
            raise InputError.at("--executor dask", "needs the Dask extra: pip install 'designation[dask]'") from None
        try:
            self.client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError.at("--scheduler", f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            self._check(folders)
            threads = sum(self.client.nthreads().values()) or 1
            self.slots = slots or threads * 2
            self.executor = self.client.get_executor(pure=False)
        except BaseException:
            self.client.close()
            raise

    def _check(self, folders: tuple[Path, ...]) -> None:
        from .. import __version__

        if not self.client.nthreads():
            raise InputError.at("--scheduler", "the Dask cluster has no workers")
        paths = [str(Path(f).resolve()) for f in folders]
        for worker, (version, missing) in sorted(self.client.run(_worker_state, paths).items()):
            if version != __version__:
                raise InputError.at("--scheduler", f"worker {worker} runs designation {version}, this is "
                                                   f"{__version__}; install the same version on every worker")
            if missing:
                raise InputError.at("--scheduler", f"worker {worker} cannot see {missing[0]}: Dask workers need the "
                                                   "submissions and output folders at the same paths (a shared "
                                                   "file system)")

    def submit(self, fn: Callable[[Any], Any], item: Any) -> Future:
        return self.executor.submit(fn, item)

    def lost(self, exc: BaseException) -> Optional[str]:
        from distributed.scheduler import KilledWorker

        if isinstance(exc, KilledWorker):
            return ("Dask workers died processing this, on every retry the cluster allows; "
                    "run the batch again to resume")
        return None

    def close(self, cancel: bool) -> None:
        try:
            self.executor.shutdown(wait=not cancel)
        finally:
            self.client.close()


def _worker_state(paths: list[str]) -> tuple[str, list[str]]:
    """On each Dask worker: its designation version, and which of ``paths`` it cannot see."""
    from .. import __version__

    return __version__, [p for p in paths if not os.path.isdir(p)]


def make(kind: str, *, jobs: Optional[int], render: bool, sites: int, scheduler: Optional[str] = None,
         folders: tuple[Path, ...] = (), recycle_after: int = RECYCLE_AFTER) -> Optional[Executor]:
    """The executor for a batch of ``sites``: ``None`` means run in this process (one job or one
    site, and few enough reports that memory cannot grow far)."""
    if kind == "dask":
        if not scheduler:
            raise InputError.at("--executor dask", "needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        return DaskPool(scheduler, folders, slots=jobs)
    n = 1 if sites <= 1 else (jobs or default_jobs(render))
    if n == 1 and not (render and 0 < recycle_after < sites):
        return None
    return LocalPool(n, recycle_after)
