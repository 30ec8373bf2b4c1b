"""`microgate tests generate` on repos of every shape: their own pytest set-up, enums,
dataclasses, pydantic models, recorded answers and invariants."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from testing.util import microgate, run

PRICES = '''"""Prices for a small shop."""

from __future__ import annotations

import dataclasses
import enum

from pydantic import BaseModel


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


@dataclasses.dataclass
class Line:
    item: str
    quantity: int


class Order(BaseModel):
    customer: str
    lines: int = 1


def discount(total: float, loyal: bool = False) -> float:
    if total >= 100:
        return round(total * 0.9, 2)
    if loyal:
        return round(total * 0.95, 2)
    return total


def label(size: str) -> str:
    return size.strip().lower()


def double(amount: int) -> int:
    """Twice the amount.

    >>> double(2)
    4
    """
    return amount * 2


def halve(amount: int) -> int:
    """Half the amount, rounded down (this docstring is wrong on purpose).

    >>> halve(9)
    5
    """
    return amount // 2
'''


def make_library(root: Path, pytest_config: str, conftest: str = "") -> Path:
    """A library that is not a micro app: its own package, pyproject and pytest set-up."""
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "prices.py").write_text(PRICES)
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "1.0"\n\n'
        '[project.optional-dependencies]\ntest = ["pytest", "hypothesis"]\n\n' + pytest_config)
    if conftest:
        (root / "tests" / "conftest.py").write_text(conftest)
    # A plugin of the repo's own: it reports in colour whatever pytest was asked.
    (root / "shop_plugin.py").write_text(
        "def pytest_report_header(config):\n    return '\\x1b[35mshop plugin\\x1b[0m'\n")
    return root


def generate(repo: Path, *args: str) -> str:
    result = microgate("tests", "generate", "--repo", str(repo), "--no-llm", *args,
                       timeout=600)
    assert "Traceback" not in result.output, result.output
    return result.stdout


@pytest.mark.parametrize("config", [
    # forces colours, stops at the first failure, turns warnings into errors, loads a
    # plugin of its own and leaves one of pytest's out
    '[tool.pytest.ini_options]\naddopts = "--color=yes -x -p shop_plugin -p no:doctest"\n'
    'filterwarnings = ["error"]\n',
    # unittest-style runner options and a strict marker policy
    '[tool.pytest.ini_options]\naddopts = "-ra --strict-markers --tb=line"\n'
    'python_classes = ["Test*", "*Tests"]\n',
])
def test_only_the_failing_test_is_dropped_whatever_the_repos_pytest_set_up(
        tmp_path: Path, config: str) -> None:
    repo = make_library(tmp_path / "lib", config, conftest=(
        "import pytest\n\n\n@pytest.fixture(autouse=True)\ndef shop_fixture():\n"
        "    yield\n"))
    out = generate(repo)
    # The wrong docstring example fails; its message names the assertion and values.
    assert "dropped tests/test_prices.py::test_halve_examples: it failed: " \
        "assert 4 == 5" in out, out
    assert "\x1b[" not in out
    # Every other test was kept, and the kept file passes under the repo's own set-up.
    for kept in ("test_double_examples", "test_discount_recorded_answers",
                 "test_Size_members_are_found_by_value_and_name", "test_Line_equals_its_copy",
                 "test_Order_survives_a_round_trip", "test_label_is_idempotent"):
        assert f"wrote tests/test_prices.py::{kept}" in out, out
    tests = (repo / "tests" / "test_prices.py").read_text()
    assert "test_halve_examples" not in tests
    outcome = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                  timeout=300)
    assert outcome.returncode == 0, outcome.output


def test_a_unittest_repo_keeps_its_tests_and_gets_new_ones(tmp_path: Path) -> None:
    repo = make_library(tmp_path / "lib", "")
    (repo / "tests" / "test_old.py").write_text(
        "import unittest\n\nfrom shop.prices import double\n\n\n"
        "class DoubleTests(unittest.TestCase):\n    def test_two(self):\n"
        "        self.assertEqual(double(2), 4)\n")
    out = generate(repo)
    # The new tests join the file that already tests the module, beside the unittest class.
    assert "wrote tests/test_old.py::test_discount_recorded_answers" in out, out
    assert "no test written for shop/prices.py: Line" not in out
    tests = (repo / "tests" / "test_old.py").read_text()
    assert "class DoubleTests(unittest.TestCase)" in tests and "test_double" not in tests
    outcome = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                  timeout=300)
    assert outcome.returncode == 0 and "passed" in outcome.stdout, outcome.output


def test_recorded_answers_pin_the_behaviour_and_catch_a_changed_branch(tmp_path: Path) -> None:
    repo = make_library(tmp_path / "lib", "")
    generate(repo)
    tests = (repo / "tests" / "test_prices.py").read_text()
    ast.parse(tests)
    assert "assert discount(100.0) == 90.0" in tests or "discount(1234.5678)" in tests
    assert "assert [(member.name, member.value) for member in Size] == " \
        "[('SMALL', 's'), ('LARGE', 'l')]" in tests
    # The same tests fail when the loyalty branch changes: they pin behaviour.
    source = repo / "shop" / "prices.py"
    source.write_text(source.read_text().replace("total * 0.95", "total * 0.96"))
    outcome = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "tests/test_prices.py"], cwd=repo, timeout=300)
    assert outcome.returncode == 1
    assert "test_discount_recorded_answers" in outcome.output


def test_an_enum_gets_no_built_with_no_arguments_test(tmp_path: Path) -> None:
    repo = make_library(tmp_path / "lib", "")
    out = generate(repo)
    assert "test_Size_can_be_built" not in out
    assert "test_Line_can_be_built" not in out


def test_a_property_the_code_does_not_have_is_dropped_without_a_word(tmp_path: Path) -> None:
    repo = make_library(tmp_path / "lib", "")
    (repo / "shop" / "words.py").write_text(
        "def shout(text: str) -> str:\n    return text.upper() + '!'\n")
    out = generate(repo, "shop/words.py")
    assert "is_idempotent" not in out  # shout("A!") adds a second "!": no such property
    assert "wrote tests/test_words.py::test_shout_recorded_answers" in out, out


def test_every_generated_test_parses_and_passes_validation(tmp_path: Path) -> None:
    from scaffold.generation.testgen import validate

    repo = make_library(tmp_path / "lib", "")
    generate(repo)
    tests = (repo / "tests" / "test_prices.py").read_text()
    assert validate(tests, "shop.prices") == []


def test_values_the_modules_own_tests_use_are_tried_too(tmp_path: Path) -> None:
    repo = make_library(tmp_path / "lib", "")
    (repo / "tests" / "test_old.py").write_text(
        "from shop.prices import double\n\n\ndef test_double():\n"
        "    assert double(21) == 42\n")
    generate(repo)
    assert "assert halve(21) == 10" in (repo / "tests" / "test_old.py").read_text()


def test_a_function_that_orders_gets_ordering_invariants(tmp_path: Path) -> None:
    repo = make_library(tmp_path / "lib", "")
    (repo / "shop" / "order.py").write_text(
        "def arrange(items: list[int]) -> list[int]:\n    return sorted(items)\n\n\n"
        "def newest_first(items: list[int]) -> list[int]:\n"
        "    return sorted(items, reverse=True)\n")
    out = generate(repo, "shop/order.py")
    assert "wrote tests/test_order.py::test_arrange_answers_in_order" in out, out
    assert "wrote tests/test_order.py::test_arrange_keeps_every_item" in out
    assert "wrote tests/test_order.py::test_newest_first_keeps_every_item" in out
    # newest_first does not answer in ascending order: that test is dropped, silently.
    assert "test_newest_first_answers_in_order" not in out


def test_no_property_tests_for_an_app_whose_environment_lacks_hypothesis(
        tmp_path: Path) -> None:
    repo = make_library(tmp_path / "lib", "")
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(', "hypothesis"', ""))
    out = generate(repo)
    assert "hypothesis is not in the app's requirements-dev.in, so no property tests were " \
        "written" in out
    tests = (repo / "tests" / "test_prices.py").read_text()
    assert "@given(" not in tests and "from hypothesis" not in tests
    assert "wrote tests/test_prices.py::test_double_examples" in out
