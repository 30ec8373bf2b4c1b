"""A pytest plugin microgate loads when it runs generated tests: each test's result, read
from pytest's own reports rather than from its printed text.

The repo's own configuration still applies (its conftest, fixtures, plugins, addopts);
whatever colours or layout it asks of the terminal, this writes one JSON file with, per
test id, the outcome and, for a failure, pytest's own explanation of it (the assertion
and the values it compared) without colour codes.
"""

from __future__ import annotations

import json
import re
from typing import Any

OPTION = "--microgate-report"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_DETAIL = 4000


def pytest_addoption(parser: Any) -> None:
    parser.addoption(OPTION, default=None, help="write each test's result here (microgate)")


# One pytest session per process: its results, by test id.
RESULTS: dict[str, dict[str, str]] = {}


def _explain(report: Any) -> tuple[str, str]:
    """(one line naming what failed, pytest's full explanation) of a failed report."""
    text = ANSI.sub("", str(getattr(report, "longreprtext", "") or ""))
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    message = ANSI.sub("", str(getattr(crash, "message", "") or "")).strip()
    if not message:
        lines = [line for line in text.splitlines() if line.strip()]
        message = lines[-1].strip() if lines else "failed"
    return message, text[-MAX_DETAIL:]


def pytest_runtest_logreport(report: Any) -> None:
    entry = RESULTS.setdefault(report.nodeid, {"outcome": "passed"})
    if report.when == "call" and hasattr(report, "wasxfail"):
        entry["outcome"] = "xfailed" if report.skipped else "xpassed"
    elif report.failed:
        message, detail = _explain(report)
        entry.update(outcome="failed" if report.when == "call" else "error",
                     message=message, detail=detail)
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        message, detail = _explain(report)
        RESULTS[report.nodeid or "<collection>"] = {
            "outcome": "error", "message": message, "detail": detail}


_TARGET: list[str] = []


def pytest_configure(config: Any) -> None:
    target = config.getoption(OPTION, None)
    # Under pytest-xdist the workers' reports reach the controller, which writes the file.
    if target and not hasattr(config, "workerinput"):
        _TARGET[:] = [target]


def _write() -> None:
    if _TARGET:
        with open(_TARGET[0], "w", encoding="utf-8") as handle:
            json.dump(RESULTS, handle)


def record_abort(node_id: str, message: str) -> None:
    """A test that has to end the whole run (it ignored being stopped): what is known."""
    RESULTS[node_id] = {"outcome": "failed", "message": message, "detail": message}
    _write()


def pytest_sessionfinish(session: Any) -> None:
    _write()
