"""The test-presence check: every public function and class has a test that asserts."""

from __future__ import annotations

from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.engines.testpresence import analyse, read_layout, suggested_test_file
from scaffold.errors import MicrogateError
from scaffold.findings import Finding

CHECK = "test-presence"
ADVICE = """\
Every public function and class needs a test that calls it and checks the result, e.g.

    from app.core import build_greeting

    def test_build_greeting():
        assert build_greeting("Ana") == "Hello, Ana!"

A test that asserts nothing (`assert True`, `pass`, only a skip), asserts only what is
always true (`assert 1 == 1`, `assert x == x`), or checks only a mock of the function it
claims to test does not count.
Names starting with _ are private and need no test of their own.
`microgate tests generate` writes such tests for you, from each function's docstring
examples and type hints, and keeps only the ones that pass."""


def run(repo: Path, files: list[str] | None) -> CheckResult:
    try:
        layout = read_layout(repo)
    except MicrogateError as exc:
        return CheckResult([Finding("pyproject.toml", None, CHECK, "config", exc.message)])
    coverage = analyse(repo, layout)
    findings = [
        Finding(path, line, CHECK, "unreadable", message)
        for path, line, message in coverage.problems
    ]
    for source, missing in coverage.untested():
        target = suggested_test_file(layout, source)
        importing = coverage.tests_importing(source.module)
        if not importing:
            listed = ", ".join(n.name for n in missing)
            findings.append(Finding(
                source.path, 1, CHECK, "no-test-module",
                f"no test module imports {source.module}: create {target} with tests for "
                f"{listed}",
            ))
            continue
        where = ", ".join(t.path for t in importing)
        for name in missing:
            why = coverage.why_untested(name)
            if why == "only-mocked":
                message = (f"only a mock of {name.name} is checked in {where}: the real "
                           f"{name.name} never runs there; test it without patching it "
                           "(patch what it calls instead)")
            elif why == "nothing-checked":
                message = (f"{name.kind} {name.name} is called in {where} but nothing is "
                           f"checked: assert on what {name.name} returns or does")
            else:
                message = (f"{name.kind} {name.name} has no test: {where} imports its module "
                           f"but never calls {name.name}; add a test that calls it and "
                           "asserts on the result")
            findings.append(Finding(source.path, name.line, CHECK, "untested", message))
    for test in coverage.tests:
        for function, line in test.hollow_tests:
            reason = test.hollow_reasons.get(function, "asserts nothing")
            findings.append(Finding(
                test.path, line, CHECK, "asserts-nothing",
                f"{function} {reason}, so it does not count as a test",
                "warning",
            ))
    if not layout.source:
        return CheckResult(findings, ["no source folder found (set [tool.microgate] source "
                                      "in pyproject.toml)"], ADVICE)
    return CheckResult(findings, [], ADVICE, len(coverage.sources) + len(coverage.tests))
