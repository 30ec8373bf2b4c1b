"""The parse cache: a file parsed before is read back, never a stale or foreign parse."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold import yamlio
from scaffold.parsecache import DATE, ITEMS, cache_dir, cached
from testing.util import REPO_ROOT


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


BUDGET_TF = '''resource "aws_budgets_budget" "monthly" {
  name         = "sales-report"
  limit_amount = "40"
  limit_unit   = "USD"
}
'''


def parse_in_a_fresh_process(path: Path) -> dict[str, object]:
    """Parse ``path`` in a new Python, as a hook would; report the result and whether
    python-hcl2 had to be imported."""
    script = ("import json, sys\n"
              "from pathlib import Path\n"
              "from scaffold.engines.terraform import parse_file\n"
              "parsed = parse_file(Path(sys.argv[1]))\n"
              "print(json.dumps({'parsed': parsed, 'hcl2': 'hcl2' in sys.modules}))\n")
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                            text=True, cwd=REPO_ROOT, env={**os.environ,
                                                           "PYTHONPATH": str(REPO_ROOT)},
                            check=True, timeout=120)
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_an_unchanged_terraform_file_is_not_parsed_again(tmp_path: Path) -> None:
    main = tmp_path / "main.tf"
    main.write_text(BUDGET_TF)
    first = parse_in_a_fresh_process(main)
    second = parse_in_a_fresh_process(main)
    assert first["hcl2"] is True and second["hcl2"] is False
    assert first["parsed"] == second["parsed"]
    # an edit is a new parse, with the edit in it
    main.write_text(BUDGET_TF.replace('"40"', '"4000"'))
    third = parse_in_a_fresh_process(main)
    assert third["hcl2"] is True and '"4000"' not in json.dumps(first["parsed"])
    assert "4000" in json.dumps(third["parsed"])


def test_a_damaged_cache_entry_is_parsed_again() -> None:
    text = "owner: ana@example.com\nexpires: 2027-01-31\n"
    assert yamlio.load(text) == {"owner": "ana@example.com", "expires": dt.date(2027, 1, 31)}
    for entry in (cache_dir() / "yaml").glob("*.json"):
        entry.write_text("{not json")
    assert yamlio.load(text) == {"owner": "ana@example.com", "expires": dt.date(2027, 1, 31)}


@pytest.mark.parametrize(("text", "expected"), [
    ("1: one\n2: two\n", {1: "one", 2: "two"}),  # JSON would make the keys strings
    ("released:\n  1: sha256:ab\n  '1': text\n  2026-01-01: day\n  null: none\n",
     {"released": {1: "sha256:ab", "1": "text", dt.date(2026, 1, 1): "day", None: "none"}}),
    ("at: 2026-12-05 10:30:00\n", {"at": dt.datetime(2026, 12, 5, 10, 30)}),  # not kept
    ('"\\0date": 2026-12-05\n', {DATE: dt.date(2026, 12, 5)}),  # the cache's own markers
    ('"\\0items": [[1, 2]]\n', {ITEMS: [[1, 2]]}),
    ("when: 2026-12-05\nwhy: [a, {b: 2026-01-01}]\n",
     {"when": dt.date(2026, 12, 5), "why": ["a", {"b": dt.date(2026, 1, 1)}]}),
])
def test_what_comes_back_from_the_cache_is_what_the_parser_gave(
        text: str, expected: object) -> None:
    first = yamlio.load(text)
    second = yamlio.load(text)
    assert first == expected and second == expected
    assert type(second) is type(expected)
    assert shape(second) == shape(expected)


def shape(value: object) -> object:
    """The value with every leaf's type beside it: 1 and "1" differ, as do dates."""
    if isinstance(value, dict):
        return [(shape(key), shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value]
    return (type(value).__name__, value)


def test_an_error_is_never_kept() -> None:
    calls = []

    def failing() -> object:
        calls.append(1)
        raise ValueError("no")

    for _ in range(2):
        with pytest.raises(ValueError):
            cached("test-errors", b"data", failing)
    assert len(calls) == 2


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGATE_NO_PARSE_CACHE", "1")
    calls = []

    def parse() -> list[int]:
        calls.append(1)
        return [1]

    assert cached("test-off", b"data", parse) == [1]
    assert cached("test-off", b"data", parse) == [1]
    assert len(calls) == 2 and not (cache_dir() / "test-off").exists()


def test_same_content_other_kind_or_other_code_is_another_entry(tmp_path: Path) -> None:
    code = tmp_path / "parser.py"
    code.write_text("# version 1\n")
    assert cached("kind-a", b"x", lambda: "a", code=(str(code),)) == "a"
    assert cached("kind-b", b"x", lambda: "b", code=(str(code),)) == "b"
    assert cached("kind-a", b"x", lambda: "stale?", code=(str(code),)) == "a"
    code.write_text("# version 2, the parser changed\n")
    assert cached("kind-a", b"x", lambda: "new", code=(str(code),)) == "new"


def test_a_small_text_that_expands_to_a_large_value_is_not_kept() -> None:
    """YAML aliases: a few hundred bytes that stand for a great deal are parsed each time
    rather than filling the user's disk."""
    text = "a: &a [" + ", ".join(["xxxxxxxxxx"] * 100) + "]\n" + "".join(
        f"k{n}: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" for n in range(100))
    assert len(text) < 10_000
    first = yamlio.load(text)
    assert yamlio.load(text) == first
    assert not list((cache_dir() / "yaml").glob("*.json"))
