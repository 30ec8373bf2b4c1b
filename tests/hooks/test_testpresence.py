"""microgate-test-presence on small real repos."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hooks.testpresence import main


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "tests").mkdir()
    write(tmp_path, "app/core.py", """
        def add(a: int, b: int) -> int:
            return a + b

        class Basket:
            pass

        def _helper():
            return 1
    """)
    return tmp_path


def write(repo: Path, name: str, text: str) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args) or ["app/core.py"])
    return code, capsys.readouterr().out


def test_real_tests_pass(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "tests/test_core.py", """
        from app.core import Basket, add

        def test_add():
            assert add(1, 2) == 3

        def test_basket():
            assert isinstance(Basket(), Basket)
    """)
    assert run(capsys) == (0, "")


def test_module_without_a_test_module(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys)
    assert code == 1
    assert ("app/core.py:1: error: no test module imports app.core: create tests/test_core.py "
            "with tests for add, Basket") in out
    assert "_helper" not in out
    assert "def test_build_greeting" in out  # the how-to example


@pytest.mark.parametrize("body", [
    "assert True",
    "pass",
    "add(1, 2)",
    "pytest.skip('later')",
    "assert 1",
    "assert (1, 2)",
])
def test_tests_that_assert_nothing_do_not_count(repo: Path, capsys: pytest.CaptureFixture[str],
                                                body: str) -> None:
    write(repo, "tests/test_core.py", f"""
        import pytest
        from app.core import Basket, add

        def test_add():
            add(1, 2)
            {body}

        def test_basket():
            assert Basket() is not None
    """)
    code, out = run(capsys)
    assert code == 1
    assert ("app/core.py:1: error: function add is called in tests/test_core.py but nothing "
            "is checked") in out
    assert "tests/test_core.py:4: warning: test_add " in out
    assert "Basket" not in out.split("\n\n")[0]


def test_a_test_file_that_never_imports_the_module(repo: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "tests/test_core.py", """
        def add(a, b):
            return a + b

        def test_add():
            assert add(1, 2) == 3
    """)
    code, out = run(capsys)
    assert code == 1 and "no test module imports app.core" in out


@pytest.mark.parametrize("test_code", [
    """
    import app.core as c
    def test_all():
        assert c.add(1, 1) == 2 and c.Basket()
    """,
    """
    from app import core
    def test_all():
        assert core.add(1, 1) == 2
        assert core.Basket()
    """,
    """
    from app.core import *
    import pytest
    def test_all():
        with pytest.raises(TypeError):
            add(1)
        assert Basket()
    """,
    """
    import unittest
    from app.core import add, Basket
    class TestCore(unittest.TestCase):
        def test_all(self):
            self.assertEqual(add(1, 1), 2)
            self.assertIsInstance(Basket(), Basket)
    """,
])
def test_every_import_style_counts(repo: Path, capsys: pytest.CaptureFixture[str],
                                   test_code: str) -> None:
    write(repo, "tests/test_core.py", test_code)
    assert run(capsys) == (0, "")


def test_folders_come_from_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "pyproject.toml", """
        [tool.microgate]
        source = ["src"]
        tests = ["checks"]
    """)
    write(tmp_path, "src/pricing/__init__.py", "")
    write(tmp_path, "src/pricing/rules.py", "def discount(x):\n    return x * 0.9\n")
    write(tmp_path, "checks/test_rules.py", """
        from pricing.rules import discount
        def test_discount():
            assert discount(100) == 90
    """)
    assert main(["src/pricing/rules.py"]) == 0
    write(tmp_path, "src/pricing/rules.py",
          "def discount(x):\n    return x * 0.9\n\ndef surcharge(x):\n    return x\n")
    assert main(["src/pricing/rules.py"]) == 1
    assert "src/pricing/rules.py:4: error: function surcharge has no test" in \
        capsys.readouterr().out


@pytest.mark.parametrize(("content", "message"), [
    ("[tool.microgate\nsource = 1", "pyproject.toml: error: pyproject.toml is not valid TOML"),
    ("[tool.microgate]\nsource = 3", "source must be a list of folder names"),
])
def test_bad_pyproject_is_a_finding_not_a_crash(repo: Path, capsys: pytest.CaptureFixture[str],
                                                content: str, message: str) -> None:
    (repo / "pyproject.toml").write_text(content)
    code, out = run(capsys)
    assert code == 1 and message in out


@pytest.mark.parametrize(("content", "message"), [
    (b"def broken(:\n    pass\n", "app/bad.py:1: error: cannot be parsed"),
    (b"x = 1\x00\x00\x00", "app/bad.py: error: is a binary file, not Python source"),
    (b"# coding: utf-8\nname = '\xff\xfe'\n", "app/bad.py"),
])
def test_unparseable_source_is_reported(repo: Path, capsys: pytest.CaptureFixture[str],
                                        content: bytes, message: str) -> None:
    (repo / "app" / "bad.py").write_bytes(content)
    code, out = run(capsys, "app/bad.py")
    assert code == 1 and message in out
    assert "Traceback" not in out


def test_runs_only_when_python_changes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["README.md"]) == 0
    assert capsys.readouterr().out == ""


# -- the layouts and styles of real projects -------------------------------------------

def test_unittest_cases_of_any_name_and_inherited_tests_through_a_class_attribute(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "tests/test_core.py", """
        import unittest
        from app import core

        class CacheTestMixin:
            Kind = None

            def test_builds(self):
                self.assertIsNotNone(self.Kind())

        class BasketTest(CacheTestMixin, unittest.TestCase):
            Kind = core.Basket

        class AdderCase(unittest.TestCase):
            def test_add(self):
                self.assertEqual(core.add(2, 2), 4)
    """)
    assert run(capsys) == (0, "")


def test_fixtures_partials_helpers_and_parametrize_count(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "tests/conftest.py", """
        import functools
        import pytest
        from app.core import Basket

        @pytest.fixture
        def make_basket():
            return functools.partial(Basket)
    """)
    write(repo, "tests/test_core.py", """
        import pytest
        from app import core

        def double(x):
            return core.add(x, x)

        @pytest.mark.parametrize("n", [1, 2])
        def test_double(n):
            assert double(n) == 2 * n

        def test_basket(make_basket):
            assert make_basket() is not None
    """)
    assert run(capsys) == (0, "")


def test_re_exports_through_a_package_count_for_the_defining_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "src/shop/__init__.py", """
        from .money import *
        from shop.basket import Basket as Basket
        __all__ = ["cents", "Basket"]
    """)
    write(tmp_path, "src/shop/money.py", """
        __all__ = ["cents"]

        def cents(euros):
            return round(euros * 100)

        def helper_not_exported():
            return 1
    """)
    write(tmp_path, "src/shop/basket.py", """
        class Basket:
            def total(self):
                return 0
    """)
    write(tmp_path, "tests/test_shop.py", """
        import shop

        def test_cents():
            assert shop.cents(1.5) == 150

        def test_basket_total():
            assert shop.Basket().total() == 0
    """)
    assert main(["src/shop/money.py", "src/shop/basket.py"]) == 0, capsys.readouterr().out


def test_a_flat_layout_with_tests_beside_the_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "tinylib/__init__.py", "")
    write(tmp_path, "tinylib/text.py", """
        def shout(s):
            return s.upper() + "!"

        def whisper(s):
            return s.lower()
    """)
    write(tmp_path, "tinylib/test_text.py", """
        from tinylib.text import shout

        def test_shout():
            assert shout("hi") == "HI!"
    """)
    code, out = main(["tinylib/text.py"]), capsys.readouterr().out
    assert code == 1
    assert ("tinylib/text.py:4: error: function whisper has no test: tinylib/test_text.py "
            "imports its module but never calls whisper") in out
    assert "shout" not in out.split("\n\n")[0]


# -- hollow tests, each with its honest twin --------------------------------------------

@pytest.mark.parametrize("hollow, honest, reason", [
    ("assert 1 == 1", "assert add(1, 1) == 2", "only asserts what is always true"),
    ("result = add(1, 1)\n    assert result == result",
     "result = add(1, 1)\n    assert result == 2", "only asserts what is always true"),
    ("add(1, 1)\n    assert True", "assert add(1, 1) == 2", "only asserts what is always true"),
    ("add(1, 1)", "assert add(1, 1) == 2", "asserts nothing"),
])
def test_tautologies_do_not_count_and_their_honest_twins_do(
        repo: Path, capsys: pytest.CaptureFixture[str], hollow: str, honest: str,
        reason: str) -> None:
    basket = "def test_basket():\n    assert Basket() is not None\n"
    for body, passes in ((hollow, False), (honest, True)):
        write(repo, "tests/test_core.py", "from app.core import Basket, add\n\n"
              f"def test_add():\n    add(0, 0)\n    {body}\n\n" + basket)
        code, out = run(capsys)
        assert (code == 0) is passes, out
        if not passes:
            assert f"test_add {reason}" in out


def test_a_test_that_only_checks_a_mock_of_the_unit_does_not_count(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app/gateway.py", """
        def charge(amount):
            raise RuntimeError("talks to the bank")

        def checkout(amount):
            return {"charged": charge(amount)}
    """)
    write(repo, "tests/test_core.py", """
        from app.core import Basket, add

        def test_all():
            assert add(1, 1) == 2 and Basket()
    """)
    write(repo, "tests/test_gateway.py", """
        from unittest import mock
        from app import gateway

        def test_charge():
            with mock.patch.object(gateway, "charge", return_value="ok"):
                assert gateway.charge(5) == "ok"

        def test_checkout(monkeypatch):
            monkeypatch.setattr(gateway, "charge", lambda amount: "ok")
            assert gateway.checkout(5) == {"charged": "ok"}
    """)
    code, out = main(["app/gateway.py"]), capsys.readouterr().out
    assert code == 1
    assert ("app/gateway.py:1: error: only a mock of charge is checked in "
            "tests/test_gateway.py") in out
    assert "checkout" not in out.split("\n\n")[0]


def test_deleting_the_only_test_of_a_function_is_caught(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tests = """
        from app.core import Basket, add

        def test_add():
            assert add(2, 3) == 5

        def test_basket():
            assert Basket() is not None
    """
    write(repo, "tests/test_core.py", tests)
    assert run(capsys) == (0, "")
    write(repo, "tests/test_core.py", tests.split("        def test_basket")[0])
    code, out = run(capsys)
    assert code == 1
    assert "class Basket has no test: tests/test_core.py imports its module" in out
