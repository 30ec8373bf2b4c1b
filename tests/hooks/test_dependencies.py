"""microgate-dependencies: the platform's curated set, and imports nothing provides."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.dependencies import main

HASH = " --hash=sha256:" + "0" * 64


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    app = tmp_path / "app"
    (app / "app").mkdir(parents=True)
    (app / "app" / "__init__.py").write_text("")
    (app / "app" / "helpers.py").write_text("def helper():\n    return 1\n")
    (app / "microapp.yaml").write_text("tier: 1\n")
    (app / "requirements.txt").write_text(f"requests==2.32.3{HASH}\npyyaml==6.0.2{HASH}\n")
    monkeypatch.chdir(app)
    return app


def test_imports_provided_by_pins_the_stdlib_and_the_app_pass(repo: Path) -> None:
    (repo / "app" / "core.py").write_text(
        "import json\nimport os.path\nimport requests\nimport yaml\n"
        "from app.helpers import helper\nfrom . import helpers\n"
        "from __future__ import annotations\n")
    assert main(["app/core.py"]) == 0


def test_an_import_no_pin_provides_is_named_with_its_line(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app" / "core.py").write_text("import json\nimport requests\nimport fastjsonx\n")
    assert main(["app/core.py"]) == 1
    out = capsys.readouterr().out
    assert "app/core.py:3: error: imports fastjsonx, which no pinned dependency provides" in out
    assert "requests" not in out.split("error:")[1].split("[")[0]


def test_tests_may_import_their_own_tools(repo: Path) -> None:
    (repo / "tests").mkdir()
    (repo / "tests" / "test_core.py").write_text("import pytest\nimport hypothesis\n")
    assert main(["tests/test_core.py"]) == 0


def test_a_denied_package_is_refused_whatever_the_tier(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements.txt").write_text(f"pycrypto==2.6.1{HASH}\n")
    (repo / "microapp.yaml").write_text("tier: 0\n")
    assert main(["requirements.txt"]) == 1
    assert "pycrypto may not be used: unmaintained" in capsys.readouterr().out


def test_tier_2_allows_only_the_curated_set_or_an_approval(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "microapp.yaml").write_text("tier: 2\n")
    (repo / "requirements.txt").write_text(f"requests==2.32.3{HASH}\nleftpad-py==1.0{HASH}\n")
    assert main(["requirements.txt"]) == 1
    out = capsys.readouterr().out
    assert "leftpad-py is not in the platform's curated set for tier 2" in out
    assert "requests is not" not in out
    (repo / "pyproject.toml").write_text(
        '[tool.microgate.dependencies]\napproved = ["leftpad_py"]\n')
    assert main(["requirements.txt", "pyproject.toml"]) == 0


def test_tier_1_has_no_allowlist(repo: Path) -> None:
    (repo / "requirements.txt").write_text(f"leftpad-py==1.0{HASH}\n")
    assert main(["requirements.txt"]) == 0
