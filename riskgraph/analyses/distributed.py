"""Map chunks of independent work over Dask (docs/design.md §6), or run them in process.

Dask is an optional extra (``pip install riskgraph[distributed]``) and is imported only
when a scheduler is asked for. The callers (Monte Carlo) split the work into chunks whose
results do not depend on where or in which order they run, and combine them with an
order-independent reduction (sums of integer counts), so every scheduler gives the same
numbers bit for bit.

Schedulers
----------
``None``
    Plain NumPy in this process: chunks run on a small pool of threads (one per core, at
    most as many chunks in flight as threads, so memory stays that of a few chunks) and
    their results are handed on in task order. NumPy releases the GIL in the kernels, so
    the cores are used without pickling anything.
``"local"``
    A :class:`dask.distributed.LocalCluster` with thread workers (``processes=False``:
    NumPy releases the GIL, and nothing has to be pickled), created and closed by the call.
``"tcp://host:port"`` (any ``scheme://`` address)
    An existing Dask scheduler; its workers need riskgraph installed.
a ``distributed.Client``
    Used as is and left open (e.g. one shared by a long-running dashboard).
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from riskgraph.errors import UsageError

__all__ = ["run_chunks", "check_scheduler", "describe_scheduler"]

_INSTALL_HINT = ("Dask is not installed: install riskgraph[distributed] "
                 "(pip install 'riskgraph[distributed]') to use --scheduler")


def describe_scheduler(scheduler) -> str | None:
    """A JSON-safe description of a scheduler argument (for manifests)."""
    if scheduler is None or isinstance(scheduler, str):
        return scheduler
    address = getattr(getattr(scheduler, "scheduler", None), "address", None)
    return f"client:{address}" if address else "client"


def check_scheduler(scheduler) -> None:
    """Raise :class:`~riskgraph.errors.UsageError` unless ``scheduler`` is a valid choice
    (see the module docstring); does not import Dask."""
    if scheduler is None:
        return
    if isinstance(scheduler, str):
        if scheduler == "local" or "://" in scheduler:
            return
        raise UsageError(f"unknown scheduler {scheduler!r}: use 'local' for a local Dask "
                         "cluster or a scheduler address such as tcp://host:8786")
    if not (hasattr(scheduler, "submit") and hasattr(scheduler, "scatter")):
        raise UsageError(f"scheduler must be None, 'local', an address like tcp://host:8786 "
                         f"or a distributed.Client, got {type(scheduler).__name__}")


@contextlib.contextmanager
def _client(scheduler) -> Iterator:
    try:
        import distributed
    except ImportError:  # pragma: no cover - the test extra installs Dask
        raise UsageError(_INSTALL_HINT) from None
    if not isinstance(scheduler, str):
        yield scheduler
        return
    if scheduler == "local":
        with distributed.LocalCluster(processes=False, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    with client:
        yield client


def run_chunks(func: Callable, shared, tasks: Sequence[tuple], *, scheduler=None,
               on_result: Callable[[int, object], None]) -> None:
    """Run ``func(shared, *tasks[i])`` for every task and hand each result to
    ``on_result(i, result)``.

    Results arrive in task order in process and in completion order on Dask; ``on_result``
    must therefore combine them order-independently. If ``on_result`` or a task raises,
    the remaining tasks are cancelled and the exception propagates.

    Parameters
    ----------
    func
        A module-level function (picklable for remote workers).
    shared
        One object every task needs (e.g. the compiled model); sent to the workers once.
    tasks
        Per-task extra arguments.
    scheduler
        See the module docstring.
    """
    check_scheduler(scheduler)
    if scheduler is None:
        _run_in_process(func, shared, tasks, on_result)
        return
    with _client(scheduler) as client:
        import distributed

        shared_f = client.scatter(shared, broadcast=True, hash=False)
        futures = [client.submit(func, shared_f, *args, pure=False) for args in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in distributed.as_completed(futures):
                on_result(index[fut.key], fut.result())
        except BaseException:
            client.cancel(futures)
            raise
        finally:
            del shared_f


def _run_in_process(func: Callable, shared, tasks: Sequence[tuple],
                    on_result: Callable[[int, object], None]) -> None:
    """Run the tasks on one thread per core, a bounded window of them in flight, and hand
    the results on in task order; on an exception, tasks not yet started never start."""
    workers = max(1, min(os.cpu_count() or 1, len(tasks)))
    if workers == 1:
        for i, args in enumerate(tasks):
            on_result(i, func(shared, *args))
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="riskgraph") as pool:
        window: deque = deque()
        todo = iter(enumerate(tasks))
        try:
            for i, args in todo:
                window.append((i, pool.submit(func, shared, *args)))
                if len(window) >= workers:
                    break
            while window:
                i, fut = window.popleft()
                result = fut.result()
                nxt = next(todo, None)
                if nxt is not None:
                    window.append((nxt[0], pool.submit(func, shared, *nxt[1])))
                on_result(i, result)
        except BaseException:
            for _, fut in window:
                fut.cancel()
            raise
