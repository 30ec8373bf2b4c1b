"""A pytest plugin microgate loads when it runs generated tests: one time limit per test.

A generated ``while True:`` stops with a failure naming the limit, so that only that test
is dropped; the caller's overall timeout is the backstop for a test that swallows it.
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


def pytest_configure(config: Any) -> None:
    import importlib.util

    if importlib.util.find_spec("hypothesis") is None:
        return
    from hypothesis import settings

    # The sandbox's file system is read-only: hypothesis keeps its examples in memory
    # (else it warns, and a repo that turns warnings into errors fails every property).
    settings.register_profile("microgate", settings(settings.default, database=None))
    settings.load_profile("microgate")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Iterator[None]:
    seconds = float(item.config.getoption(OPTION))

    def stop(signum: int, frame: Any) -> None:
        pytest.fail(f"took longer than {seconds:g} s: stopped", pytrace=False)

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
