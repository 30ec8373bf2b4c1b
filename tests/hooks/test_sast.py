"""microgate-sast: the rules, their examples, and the engine run directly."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from hooks.sast import main
from scaffold.engines.sast import load_rules, rule_files, write_expanded_rules
from testing.util import run

ANNOTATION = re.compile(r"#\s*(ruleid|ok):\s*(?P<rule>[\w.-]+)")


def expected_lines(example: Path) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """(line, rule) pairs the example marks as findings, and as fine (the next line)."""
    bad, good = set(), set()
    for number, line in enumerate(example.read_text().splitlines(), start=1):
        match = ANNOTATION.search(line)
        if match:
            (bad if match.group(1) == "ruleid" else good).add((number + 1, match.group("rule")))
    return bad, good


def superseded_findings(example: Path) -> set[tuple[int, str]]:
    """The (line, rule) pairs of ``example`` that microgate folds into another finding:
    rule B's line when rule A, which supersedes B, reports the flaw B's line builds."""
    supersedes = {f"microgate.{other}" for rules in load_rules().values() for rule in rules
                  for other in (rule.get("metadata") or {}).get("supersedes", [])}
    bad, _ = expected_lines(example)
    return {(line, rule) for line, rule in bad if rule in supersedes
            and any(line < other_line and other_rule != rule
                    for other_line, other_rule in bad)}


def test_every_rule_passes_semgrep_test(tmp_path: Path) -> None:
    """semgrep's own test runner on each rule file, as microgate loads it (sources filled)."""
    write_expanded_rules(tmp_path)
    semgrep = str(Path(sys.executable).parent / "semgrep")
    result = run([semgrep, "--test", "--disable-version-check", "--metrics", "off",
                  str(tmp_path)], timeout=300)
    assert result.returncode == 0, result.output
    assert "All tests passed" in result.output


def test_every_rule_has_positive_and_negative_examples() -> None:
    for rule_file in rule_files():
        example = rule_file.with_suffix(".py")
        assert example.is_file(), f"{rule_file.name} has no example file"
        bad, good = expected_lines(example)
        assert bad and good, f"{example.name} needs both '# ruleid:' and '# ok:' lines"


@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda p: p.stem)
def test_the_hook_finds_exactly_what_the_examples_mark(
    rule_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = rule_file.with_suffix(".py")
    bad, good = expected_lines(example)
    # A finding another rule reports as the same flaw (its `supersedes`) is not repeated.
    bad -= superseded_findings(example)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").mkdir()
    target = tmp_path / "tests" / example.name  # semgrep's own command would skip tests/
    shutil.copy(example, target)
    main([f"tests/{example.name}"])
    found = set()
    for line in capsys.readouterr().out.splitlines():
        match = re.match(rf"tests/{re.escape(example.name)}:(\d+): \w+: .* \[sast/([\w-]+)\]",
                         line)
        if match:
            found.add((int(match.group(1)), "microgate." + match.group(2)))
    assert bad <= found
    assert not (good & found)


def test_findings_block_and_explain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.py").write_text(
        "import subprocess\n\n\ndef run(cmd: str) -> None:\n"
        "    subprocess.run(cmd, shell=True)\n")
    assert main(["report.py"]) == 1
    out = capsys.readouterr().out
    assert "report.py:5: error: This runs a command built from text through a shell" in out
    assert "[sast/subprocess-shell]" in out and "nosemgrep" in out


def test_warnings_do_not_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fetch.py").write_text("import requests\n\nrequests.get('https://x')\n")
    assert main(["fetch.py"]) == 0
    assert "fetch.py:3: warning: This HTTP call has no timeout" in capsys.readouterr().out


def test_nosemgrep_suppresses_one_rule_on_one_line(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "calc.py").write_text(
        "def f(x):\n    return eval(x)  # nosemgrep: microgate.eval-exec (trusted admin input)\n")
    assert main(["calc.py"]) == 0
    (tmp_path / "calc.py").write_text(
        "def f(x):\n    return eval(x)  # nosemgrep: microgate.pickle-untrusted\n")
    assert main(["calc.py"]) == 1


@pytest.mark.parametrize("content", [
    b"def broken(:\n    eval(x)\n",
    b"x = 'caf\xe9'\n",
    b"\x00\x01binary",
    b"",
])
def test_broken_files_do_not_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd.py").write_bytes(content)
    assert main(["odd.py"]) in (0, 1)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "internal error" not in captured.err


def test_missing_engine_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MICROGATE_SEMGREP_CORE", str(tmp_path / "no-semgrep-core"))
    (tmp_path / "app.py").write_text("import os\n\n\ndef run(cmd):\n    os.system(cmd)\n")
    assert main(["app.py"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "semgrep-core is not at" in err


def test_skips_when_no_python_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MICROGATE_SEMGREP_CORE", str(tmp_path / "no-semgrep-core"))
    (tmp_path / "README.md").write_text("eval(x)\n")
    assert main(["README.md"]) == 0


def test_a_huge_generated_file_is_skipped_with_a_note(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.py").write_text("VALUES = [\n" + "    1,\n" * 500_000 + "]\neval(x)\n")
    assert main(["data.py"]) == 0
    assert "data.py: skipped (" in (out := capsys.readouterr().out) and "2.0 MB limit" in out


def test_a_file_no_rule_applies_to_needs_no_engine(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A module that holds none of the rules' words (no subprocess, eval, yaml, request,
    model client...) is done without starting semgrep's engine at all."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MICROGATE_SEMGREP_CORE", str(tmp_path / "no-semgrep-core"))
    (tmp_path / "prices.py").write_text("def total(prices: list[float]) -> float:\n"
                                        "    return round(sum(prices), 2)\n")
    assert main(["prices.py"]) == 0
    assert capsys.readouterr().err == ""
