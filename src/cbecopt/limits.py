"""One time budget per call, and stop requests (Ctrl-C, SIGTERM) that end it early.

A call's budget starts on its first line (the CLI starts it before loading the instance) and
is shared by every step and loop of the call: data preparation, model building, each solve
of a comparison, report or sampling loop. A step asks the budget what is left; once the time
is up or a stop was requested, every later step returns at once with what was found so far.

Deadlines are read on :func:`time.monotonic`, a system-wide clock on Linux, so a worker
process can be given the parent's deadline as a number.

A stop request comes from a signal handler (:func:`stop_on_signals`, installed by the CLI) or
from a ``KeyboardInterrupt`` that reaches a waiting solve (the API without handlers, e.g. in a
notebook); it stops every budget that is running in the process.
"""

from __future__ import annotations

import contextlib
import contextvars
import signal
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

STOP_SIGNALS = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}
"""Signals that stop a run gracefully: the incumbent is kept, printed and written."""

_running: weakref.WeakSet[Budget] = weakref.WeakSet()
_lock = threading.Lock()
_signalled: dict = {"reason": None, "handlers": False}
"""A stop signal received while handlers are installed; budgets started later begin stopped."""


@dataclass(eq=False)
class Budget:
    """The time a call may take, counted from ``started``, and whether it was asked to stop.

    Parameters
    ----------
    time_limit : seconds for the whole call (``None``: no limit).
    started : :func:`time.monotonic` reading at the call's first line.
    includes_load : the instance was loaded after ``started`` (the command line starts the
        budget before loading), so loading is part of the elapsed time.
    reserve : seconds kept back at the end for what follows the computation (the command
        line writes its outputs, e.g. a chart, whose drawing library alone takes a second or
        two to load): the computation ends by ``time_limit - reserve`` (never before half the
        limit).
    """

    time_limit: float | None = None
    started: float = field(default_factory=time.monotonic)
    includes_load: bool = False
    reserve: float = 0.0
    stop_reason: str | None = None
    parent: Budget | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        with _lock:
            _running.add(self)
            if _signalled["reason"] is not None and self.stop_reason is None:
                self.stop_reason = _signalled["reason"]

    @property
    def deadline(self) -> float | None:
        """The :func:`time.monotonic` reading at which the computation must end (``None``:
        never): the limit, less the reserve for what follows."""
        if self.time_limit is None:
            return None
        return self.started + max(self.time_limit - self.reserve, self.time_limit / 2)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float | None:
        """Seconds left (never negative; 0 once stopped), ``None`` without a limit."""
        if self.parent is not None and self.parent.stop_reason is not None:
            self.stop_reason = self.stop_reason or self.parent.stop_reason
        if self.stop_reason is not None:
            return 0.0
        if self.deadline is None:
            return None
        return max(self.deadline - time.monotonic(), 0.0)

    def expired(self) -> bool:
        """The time is up or a stop was requested: start nothing new."""
        remaining = self.remaining()
        return remaining is not None and remaining <= 0.0

    def request_stop(self, reason: str) -> None:
        """Stop this budget and the one it was carved from (the first reason is kept)."""
        if self.stop_reason is None:
            self.stop_reason = reason
        if self.parent is not None:
            self.parent.request_stop(reason)

    def until(self, deadline: float | None) -> Budget:
        """A part of this budget that ends by ``deadline`` (a :func:`time.monotonic` reading)
        or with this one, whichever comes first; stopping either stops both."""
        ends = self.deadline if deadline is None else min(deadline, self.deadline or deadline)
        return Budget(
            None if ends is None else ends - self.started,
            started=self.started,
            includes_load=self.includes_load,
            stop_reason=self.stop_reason,
            parent=self,
        )

    def share(self, pending: int) -> float | None:
        """The deadline of the next of ``pending`` steps that split what is left equally
        (time a step does not use passes on to the next)."""
        if self.deadline is None:
            return None
        now = time.monotonic()
        return now + max(self.deadline - now, 0.0) / max(pending, 1)

    def portion(self, fraction: float) -> float | None:
        """The deadline of a step given ``fraction`` of what is left (``None``: no limit)."""
        if self.deadline is None:
            return None
        now = time.monotonic()
        return now + max(self.deadline - now, 0.0) * fraction

    def timings(self, parts: dict[str, float], load_seconds: float = 0.0) -> dict[str, float]:
        """``load``, the given parts, ``other`` and ``total``, adding up to the wall clock.

        ``total`` is the wall-clock time of the call (loading included: timed inside the
        budget on the command line, added in front of it for an instance loaded earlier);
        ``other`` is what no part accounts for (start-up, checks, bookkeeping).
        """
        elapsed = self.elapsed()
        total = elapsed if self.includes_load else load_seconds + elapsed
        out = {"load": load_seconds, **parts}
        out["other"] = max(total - sum(out.values()), 0.0)
        out["total"] = sum(out.values())
        return out

    def no_solution_advice(self) -> str:
        """Why a solve came back without a solution and what to do, for a diagnosis."""
        if self.stop_reason is not None:
            return f"{self.why_stopped()} before a feasible solution was found"
        return "no feasible solution was found within the limits: raise --time-limit"

    def why_stopped(self) -> str:
        """Why no more work is started, in words for a result's termination text."""
        if self.stop_reason is not None:
            return f"stopped by {self.stop_reason}"
        return "time limit reached"


class OutOfTime(Exception):
    """Raised inside a long build when the budget runs out; the pipeline that started the
    build catches it and reports what it has (``no_solution``, ``unfinished``)."""


def check(budget: Budget | None) -> None:
    """Raise :class:`OutOfTime` once ``budget`` has expired (a no-op without a budget)."""
    if budget is not None and budget.expired():
        raise OutOfTime(budget.why_stopped())


_building: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "cbecopt_building", default=None
)
"""The budget of the build running in this context (``None``: no build is watched)."""


@contextlib.contextmanager
def watched(budget: Budget | None) -> Iterator[None]:
    """While active, :func:`checkpoint` checks ``budget``: the pipeline wraps a build and its
    handoff in it, so every variable or row family built (:mod:`cbecopt.linear`) and every
    constraint compiled first asks whether time is left, and the build stops between families
    with :class:`OutOfTime` instead of running to its end."""
    token = _building.set(budget)
    try:
        yield
    finally:
        _building.reset(token)


def watched_budget() -> Budget | None:
    """The budget :func:`watched` holds in this context (``None``: none), for work that must
    end within the running call's limit without being handed its options (a diagnosis)."""
    return _building.get()


def checkpoint() -> None:
    """Raise :class:`OutOfTime` once the budget of the watched build has expired (a no-op
    outside :func:`watched`, e.g. a model built by hand)."""
    check(_building.get())


def request_stop_everywhere(reason: str) -> None:
    """Stop every budget running in this process (a signal handler's work)."""
    with _lock:
        budgets = list(_running)
        if _signalled["handlers"]:
            _signalled["reason"] = _signalled["reason"] or reason
    for budget in budgets:
        budget.request_stop(reason)


class Aborted(BaseException):
    """A second stop signal: leave at once, writing nothing (like a second Ctrl-C anywhere)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@contextlib.contextmanager
def stop_on_signals() -> Iterator[dict]:
    """While active, SIGINT and SIGTERM stop the running budgets instead of killing the process.

    The first signal asks every running solve to stop and return its incumbent; a second one
    raises :class:`Aborted` in the main thread. Yields a dict whose ``"signal"`` entry holds
    the name of the first signal received (``None`` if none), for the exit code. Installs
    nothing outside the main thread (signal handlers can only be set there).
    """
    received: dict = {"signal": None}
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum, frame):
        name = STOP_SIGNALS[signal.Signals(signum)]
        if received["signal"] is not None:
            raise Aborted(name)
        received["signal"] = name
        request_stop_everywhere(name)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    _signalled["handlers"] = True
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _signalled.update(reason=None, handlers=False)


def received_signal() -> str | None:
    """The first stop signal received while :func:`stop_on_signals` is active, if any."""
    return _signalled["reason"]


def handlers_installed() -> bool:
    """Whether :func:`stop_on_signals` is active: the process ends after this call (the CLI),
    so a solver that does not stop when asked may be left behind rather than waited for."""
    return bool(_signalled["handlers"])
