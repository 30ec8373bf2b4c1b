"""Mutation scores: small slips in a function, and whether its tests catch them."""

from __future__ import annotations

import ast
from pathlib import Path

from scaffold.generation.mutation import mutants, score
from testing.util import microgate

SOURCE = '''
def shipping(weight: int, express: bool = False) -> int:
    """Shipping cost in cents."""
    if weight <= 0:
        raise ValueError("weight must be positive")
    cost = 500 if weight < 10 else 900
    if express and weight < 30:
        return cost + 300
    return cost


def untouched() -> int:
    return 1
'''
WEAK = '''from shop.ship import shipping


def test_shipping_gives_an_int():
    assert isinstance(shipping(5), int)
'''
STRONG = '''import pytest

from shop.ship import shipping


def test_shipping_prices():
    assert shipping(1) == 500
    assert shipping(9) == 500
    assert shipping(10) == 900
    assert shipping(5, express=True) == 800
    assert shipping(29, express=True) == 1200
    assert shipping(30, express=True) == 900
    with pytest.raises(ValueError):
        shipping(0)
'''


def test_each_kind_of_slip_is_made_once_and_only_in_that_function() -> None:
    found = mutants(SOURCE, "shipping")
    kinds = {m.description for m in found}
    assert {"LtE -> Lt", "Lt -> LtE", "And -> Or", "Add -> Sub", "500 -> 501",
            "branch dropped", "early return always taken"} <= kinds
    for mutant in found:
        changed = ast.parse(mutant.source)
        assert ast.unparse(changed) != ast.unparse(ast.parse(SOURCE))
        # The other function and the docstring are never touched.
        assert "def untouched() -> int:\n    return 1" in mutant.source
        assert "Shipping cost in cents." in mutant.source
    assert mutants(SOURCE, "no_such_function") == []


def make_shop(root: Path, tests: str) -> Path:
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "ship.py").write_text(SOURCE)
    (root / "tests").mkdir()
    (root / "tests" / "test_ship.py").write_text(tests)
    return root


def test_strong_tests_kill_what_a_type_check_lets_through(tmp_path: Path) -> None:
    weak = score(make_shop(tmp_path / "weak", WEAK), "shop/ship.py", "shipping",
                 ["tests/test_ship.py"], sandboxed=False)
    strong = score(make_shop(tmp_path / "strong", STRONG), "shop/ship.py", "shipping",
                   ["tests/test_ship.py"], sandboxed=False)
    assert weak is not None and strong is not None
    assert strong.total == weak.total > 5
    assert strong.killed == strong.total, [m.description for m in strong.survivors]
    assert weak.killed < strong.killed / 2
    # The repo itself is left as it was: the mutants ran in a copy.
    assert (tmp_path / "strong" / "shop" / "ship.py").read_text() == SOURCE


def test_tests_that_fail_on_the_unchanged_code_measure_nothing(tmp_path: Path) -> None:
    repo = make_shop(tmp_path / "shop", STRONG.replace("== 500\n", "== 501\n", 1))
    assert score(repo, "shop/ship.py", "shipping", ["tests/test_ship.py"],
                 sandboxed=False) is None


def test_generate_with_mutants_prints_each_functions_score(tmp_path: Path) -> None:
    repo = make_shop(tmp_path / "shop", "")
    (repo / "tests" / "test_ship.py").unlink()
    result = microgate("tests", "generate", "--repo", str(repo), "--no-llm", "--mutants",
                       timeout=600)
    assert result.returncode == 0, result.output
    assert "wrote tests/test_ship.py::test_shipping_recorded_answers" in result.stdout
    line = next(line for line in result.stdout.splitlines()
                if line.startswith("mutation score of the kept tests for shop/ship.py: "
                                   "shipping"))
    killed, total = line.rsplit(": ", 1)[1].split(" ")[0].split("/")
    assert int(total) > 5 and int(killed) >= int(total) * 0.8, line
