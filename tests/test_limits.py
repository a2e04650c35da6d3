"""The time budget of a call: shares, parts carved from it, stop requests, timings that add up."""

from __future__ import annotations

import time

import pytest

from cbecopt.limits import Budget, request_stop_everywhere

pytestmark = pytest.mark.unit


def test_a_share_splits_what_is_left_equally():
    assert Budget(None).share(3) is None
    budget = Budget(100.0, started=time.monotonic() - 60.0)  # 40 s left
    now = time.monotonic()
    assert budget.share(4) == pytest.approx(now + 10.0, abs=0.05)  # 4 steps: 10 s each
    assert budget.share(1) == pytest.approx(now + 40.0, abs=0.05)  # the last gets the rest
    late = Budget(10.0, started=time.monotonic() - 20.0)
    assert late.share(3) == pytest.approx(time.monotonic(), abs=0.05)  # past: nothing
    assert late.expired() and late.remaining() == 0.0


def test_a_part_ends_first_and_a_stop_reaches_the_whole_call():
    whole = Budget(100.0)
    part = whole.until(time.monotonic() + 5.0)
    assert part.remaining() == pytest.approx(5.0, abs=0.05)
    assert whole.until(time.monotonic() + 500.0).deadline == pytest.approx(whole.deadline)
    part.request_stop("SIGINT")  # a Ctrl-C caught inside one solve stops the rest of the call
    assert whole.expired() and whole.why_stopped() == "stopped by SIGINT"
    other = whole.until(None)
    assert other.expired() and other.stop_reason == "SIGINT"


def test_a_stop_of_the_whole_call_reaches_its_parts():
    whole = Budget(None)
    part = whole.until(None)
    assert not part.expired() and part.remaining() is None
    whole.request_stop("SIGTERM")
    assert part.expired() and part.why_stopped() == "stopped by SIGTERM"


def test_a_signal_stops_every_running_budget():
    first, second = Budget(None), Budget(50.0)
    request_stop_everywhere("SIGTERM")
    assert first.stop_reason == second.stop_reason == "SIGTERM"


def test_timings_add_up_to_the_wall_clock():
    budget = Budget(None, started=time.monotonic() - 2.0)
    timings = budget.timings({"build": 0.5, "solve": 1.0}, load_seconds=3.0)
    # loaded before the budget started: the total is the load plus the call
    assert timings["total"] == pytest.approx(5.0, abs=0.05)
    assert timings["other"] == pytest.approx(0.5, abs=0.05)
    assert sum(v for k, v in timings.items() if k != "total") == pytest.approx(timings["total"])
    inside = Budget(None, started=time.monotonic() - 2.0, includes_load=True)
    assert inside.timings({"solve": 1.0}, load_seconds=0.5)["total"] == pytest.approx(2.0, abs=0.05)
