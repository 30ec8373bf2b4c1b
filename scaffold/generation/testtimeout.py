"""A pytest plugin microgate loads when it runs generated tests: one time limit per test.

A generated ``while True:`` stops with a failure naming the limit, so that only that test
is dropped. A test that swallows the stop and runs on ends the run a second later, its
failure recorded (scaffold/generation/testreport.py); the tests after it run again without it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

OPTION = "--microgate-test-timeout"


def pytest_addoption(parser: Any) -> None:
    parser.addoption(OPTION, type=float, default=10.0,
                     help="seconds one generated test may run (microgate)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Iterator[None]:
    seconds = float(item.config.getoption(OPTION))

    stops: list[int] = []

    def stop(signum: int, frame: Any) -> None:
        message = f"took longer than {seconds:g} s: stopped"
        if stops:
            # Stopped once and still running (hypothesis replays a failing example, a
            # bare except swallowed it): end the run, keeping what is known.
            import os

            from scaffold.generation import testreport

            testreport.record_abort(item.nodeid, message)
            os._exit(1)
        stops.append(signum)
        pytest.fail(message, pytrace=False)

    previous = signal.signal(signal.SIGALRM, stop)
    # Past the limit it fires again a second later: a test that caught the first stop
    # (hypothesis replaying the example, say) ends the run then.
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
