"""Many independent solves of one command: one after another, on a local Dask cluster
(``--workers N``) or on an existing one (``--scheduler ADDRESS``).

Dask is the ``[scale]`` extra. Without it a batch runs one solve after another, with a
warning saying how to enable it. On a cluster each solve is one task, HiGHS on one thread,
and the results come back in the order of the items, equal to the serial run's: each task gets the same model,
options and seed as its serial solve, and its own instance rebuilt from plain tables (a
validated instance holds read-only mappings that do not pickle).

Time: the serial run gives each solve an equal share of what is left of the call's budget
(:func:`cbecopt.compare.announced`); on a cluster the solves run side by side, so each gets
what is left when the batch starts, split over the rounds still to come when there are more
solves than workers (a task is submitted when a worker is free; a remote machine's clock is
not ours: the seconds left, not a deadline, travel with the task). A stop (Ctrl-C, SIGTERM)
cancels the tasks not yet finished and the limit starts no more; a solve cut short comes back
with its incumbent like any solve, one not finished or never started ``no_solution``.

:func:`run_each` is the one dispatch: a step (one solve of :func:`solve_each`, a weight of
the mean-CVaR frontier, a replication of SAA) run here or as a task, with what it needs
rebuilt in the worker (:class:`PortableInstance`, :class:`PortableProblem`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from cbecopt.compare import announced
from cbecopt.errors import OptionError
from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance, PortableInstance
from cbecopt.pipeline import solve

log = logging.getLogger(__name__)

ENABLE = "pip install 'cbecopt[scale]'"
"""How to get Dask, for the message of a batch asked to run on a cluster without it."""
POLL_SECONDS = 0.2
"""How often a waiting batch checks for a stop request."""


@dataclass(frozen=True)
class Batch:
    """Where a command's independent solves run.

    Parameters
    ----------
    workers : solves side by side on a local Dask cluster of this many worker processes
        (``None`` or 1: one after another in this process).
    scheduler : the address of a running Dask scheduler (``tcp://host:8786``, e.g. started by
        dask-jobqueue on Slurm or on Kubernetes); its workers run the solves.
    """

    workers: int | None = None
    scheduler: str | None = None
    client: Any = field(default=None, compare=False, repr=False)  # open within running_on

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise OptionError(f"workers must be at least 1, got {self.workers}", "--workers")
        if self.workers is not None and self.scheduler is not None:
            raise OptionError("give --workers (a local cluster) or --scheduler, not both")

    @property
    def on_cluster(self) -> bool:
        return self.scheduler is not None or (self.workers or 1) > 1


_current: ContextVar[Batch | None] = ContextVar("cbecopt_batch", default=None)


@contextmanager
def running_on(batch: Batch) -> Iterator[Batch]:
    """Within this block, batches run where ``batch`` says (a command's ``--workers`` or
    ``--scheduler``), one local cluster serving every batch of the block."""
    batch = _available(batch)
    with _client(batch) if batch.on_cluster else nullcontext() as client:
        token = _current.set(dataclasses.replace(batch, client=client))
        try:
            yield batch
        finally:
            _current.reset(token)


def current_batch() -> Batch:
    """Where batches run now: the batch :func:`running_on` set (the serial run with a warning
    when it asks for a cluster and Dask is missing), else the serial run."""
    return _available(_current.get() or Batch())


def _available(batch: Batch) -> Batch:
    """``batch``, or the serial run with a warning saying how to enable Dask when a cluster
    is asked for and Dask is not installed."""
    if not batch.on_cluster:
        return batch
    try:
        import distributed  # noqa: F401
    except ImportError:
        log.warning("the solves run one after another: Dask is not installed (%s)", ENABLE)
        return Batch()
    return batch


def solve_each(
    command: str,
    jobs: Mapping[str, tuple[Instance, Any]],
    model: str,
    options: SolveOptions,
    batch: Batch | None = None,
) -> dict[str, Any]:
    """:func:`cbecopt.solve` of each job, an ``(instance, config)`` pair, with ``model`` and
    the same options, results by name: serially, or on the cluster of ``batch`` (``None``:
    the one :func:`running_on` set, else serially)."""
    options = options.begin()
    batch = current_batch() if batch is None else _available(batch)
    if batch.on_cluster:
        jobs = {name: (PortableInstance.of(i), config) for name, (i, config) in jobs.items()}
    done = run_each(command, jobs, _solve_job, model, options, batch)
    return {
        name: result if result is not None else _unfinished(model, name, options)
        for name, result in done.items()
    }


def _unfinished(model: str, name: str, options: SolveOptions):
    """The result of a solve a stop cancelled before it finished on the cluster."""
    from cbecopt.results import Run

    return Run(model, name, options).stopped("before this solve finished on the cluster")


def _solve_job(model: str, job: tuple[Instance | PortableInstance, Any], options: SolveOptions):
    """One solve of :func:`solve_each`, here or in a Dask worker."""
    instance, config = job
    if isinstance(instance, PortableInstance):
        instance = instance.instance()
    return solve(instance, model, options, config)


def run_each(
    command: str,
    items: Mapping[str, Any],
    step: Callable,
    context: Any,
    options: SolveOptions,
    batch: Batch | None = None,
    arguments: tuple = (),
    travels: Any = None,
) -> dict[str, Any]:
    """``step(context, item, options, *arguments)`` for each item, results by name in the
    items' order: serially in this process, each step with an equal share of what is left of
    the call's budget, or one task per item on the cluster of ``batch`` (``None``: the one
    :func:`running_on` set, else serially), each with what is left when it starts, split over
    the rounds still to come (:func:`run_tasks`), and HiGHS on one thread.

    ``step`` is a module-level function (it travels by name). On a cluster the context travels
    as ``travels`` (default: ``context`` itself), an object that pickles; one with a
    ``here()`` method (:class:`PortableProblem`) is rebuilt by it in each task, so no Pyomo
    object and no read-only mapping has to pickle. A step a stop cancelled before it finished
    on the cluster comes back as ``None``.
    """
    options = options.begin()
    batch = current_batch() if batch is None else _available(batch)
    if not batch.on_cluster:
        return {
            name: step(context, item, share, *arguments)
            for name, item, share in announced(command, items, options)
        }
    each = dataclasses.replace(options, threads=1, budget=None)
    travels = context if travels is None else travels
    return run_tasks(command, _step, items, (step, travels, each, arguments), options, batch)


def _step(item, seconds_left, step: Callable, travels, options: SolveOptions, arguments: tuple):
    """One task of :func:`run_each`, in a Dask worker (its seconds count from here, the
    rebuild of what travelled included)."""
    options = _within(options, seconds_left)
    here = getattr(travels, "here", None)
    context = here() if here is not None else travels
    return step(context, item, options, *arguments)


@dataclass(frozen=True)
class PortableProblem:
    """A two-stage problem as it travels to a Dask worker (:func:`run_each`).

    Built from an instance, the problem travels as its recipe, the instance as plain tables
    with the model key, config and seed that built it, and :meth:`here` builds it again in the
    task (as :func:`solve_each` rebuilds its instances; a validated instance does not pickle).
    A problem read from files (an SMPS triple) is plain data and travels as it is. A worker
    builds each recipe once (``token`` names it) and keeps the last few problems it built for
    the batch's next tasks (a problem is not changed by solving it).
    """

    problem: Any = None
    instance: PortableInstance | None = None
    model: str | None = None
    config: Any = None
    seed: int = 0
    token: str = field(default_factory=lambda: uuid.uuid4().hex, compare=False)

    @classmethod
    def of(
        cls,
        problem: Any,
        instance: Instance | None = None,
        model: str | None = None,
        config: Any = None,
        seed: int = 0,
    ) -> PortableProblem:
        """``problem``, built by ``model`` from ``instance`` with ``config`` and ``seed``
        (:meth:`cbecopt.models.spec.ModelSpec.build`); without an instance, ``problem`` as it
        is."""
        if instance is None or model is None:
            return cls(problem)
        return cls(None, PortableInstance.of(instance), model, config, seed)

    def here(self) -> Any:
        """The problem, built again from its recipe."""
        return self.rebuilt()[0]

    def rebuilt(self) -> tuple[Any, Instance | None]:
        """The problem built again from its recipe and the instance it was built from
        (``None``: a problem read from files, as it travelled)."""
        if self.instance is None:
            return self.problem, None
        built = _rebuilt.pop(self.token, None)
        if built is None:
            from cbecopt.models import MODELS  # the registry imports the models: late

            instance = self.instance.instance()
            built = MODELS[self.model].build(instance, self.config, self.seed), instance
        _rebuilt[self.token] = built  # the most recent last
        while len(_rebuilt) > REBUILT_KEPT:
            del _rebuilt[next(iter(_rebuilt))]
        return built


REBUILT_KEPT = 4
"""How many problems a worker keeps, rebuilt from their recipes, for the next tasks."""
_rebuilt: dict[str, tuple[Any, Instance | None]] = {}


def _within(options: SolveOptions, seconds_left: float | None) -> SolveOptions:
    """``options`` with a budget of ``seconds_left`` started now (in the worker)."""
    return options.in_worker(None if seconds_left is None else time.monotonic() + seconds_left)


def run_tasks(
    command: str,
    task: Callable,
    items: Mapping[str, Any],
    arguments: tuple,
    options: SolveOptions,
    batch: Batch,
) -> dict[str, Any]:
    """``task(item, seconds_left, *arguments)`` for each item on the ``batch``'s cluster,
    results by name in the items' order.

    A task is submitted when a worker is free for it, so it starts at once and its seconds
    run from then: with no more items than workers each gets what is left when the batch
    starts; with more, what is left split over the rounds still to come
    (:func:`_seconds_for`), so the batch ends within the call's budget. A stop request
    cancels the running tasks and submits no more, and raises nothing: the result of a task
    cancelled or never started is ``None``.
    """
    budget = options.budget
    waiting = list(enumerate(items.items()))
    futures: dict[str, Any] = {}
    with _client(batch) as client:  # the block's client, or one for this batch
        log.info("%s: %d solves on %s", command, len(items), _where(client))
        # the workers import what the tasks run before the clock of the first task starts
        modules = {getattr(f, "__module__", None) for f in (task, *arguments) if callable(f)}
        modules.discard(None)
        client.run(_import_modules, sorted(modules))
        running: list = []
        while waiting or running:
            slots = _slots(client) if waiting else 0
            while waiting and len(running) < slots and not budget.expired():
                n, (name, item) = waiting.pop(0)
                left = _seconds_for(budget, len(waiting) + 1, slots)
                future = client.submit(task, item, left, *arguments, key=f"{command}-{n}-{name}")
                futures[name] = future
                running.append(future)
            if not running:  # out of time with items not started: they stay unsolved
                break
            try:
                time.sleep(POLL_SECONDS)
            except KeyboardInterrupt:  # Ctrl-C in Python, without the command's signal handler
                budget.request_stop("SIGINT")
            failed = any(f.status == "error" for f in running)  # it raises below: start no more
            running = [f for f in running if not f.done()]
            if running and (budget.stop_reason is not None or failed):
                for future in running:
                    future.cancel()
                break
            if failed:
                break
        # a task that failed raises here, as its solve would serially; a cancelled one is None
        return {
            name: None
            if name not in futures or futures[name].cancelled()
            else futures[name].result()
            for name in items
        }


def _import_modules(names: list[str]) -> None:
    """Import these modules (in each Dask worker)."""
    import importlib

    for name in names:
        importlib.import_module(name)


def _seconds_for(budget, not_started: int, slots: int) -> float | None:
    """The seconds of the next task when ``not_started`` tasks (this one included) have yet
    to start on ``slots`` workers: what is left, split over the rounds those tasks need
    (one round, all of it, when they fit the free workers)."""
    left = budget.remaining()
    if left is None:
        return None
    return left / -(-not_started // max(slots, 1))


def _slots(client) -> int:
    """How many tasks the cluster runs at once: its workers' threads (at least one, for a
    cluster whose workers are still starting)."""
    workers = client.scheduler_info().get("workers", {}).values()
    return max(sum(w.get("nthreads", 1) for w in workers), 1)


@contextmanager
def _client(batch: Batch) -> Iterator[Any]:
    """A Dask client of the batch's cluster: a new local one (closed afterwards) or the
    scheduler's."""
    if batch.client is not None:
        yield batch.client
        return
    from distributed import Client, LocalCluster

    if batch.scheduler is not None:
        with Client(batch.scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=batch.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # no fixed port: several clusters may run at once
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _where(client) -> str:
    workers = len(client.scheduler_info().get("workers", {}))
    return f"{workers} Dask workers"
