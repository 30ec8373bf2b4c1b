"""microgate-licenses against the committed cache, and its refresh from the real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooks.licenses import main
from scaffold.engines.licenses import default_license_policy, evaluate, evaluate_parsed, normalise
from testing.util import microgate

HASH = "--hash=sha256:" + "ab" * 32


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text(
        f"flask==3.1.3 {HASH}\nsomelib==1.0 {HASH}\n"
    )
    return tmp_path


def write_cache(repo: Path, **licenses: str) -> None:
    (repo / ".microgate").mkdir(exist_ok=True)
    packages = {key.replace("_", "=="): {"license": value, "source": "License-Expression"}
                for key, value in licenses.items()}
    (repo / ".microgate" / "licenses.json").write_text(json.dumps({"packages": packages}))


def test_allowed_licenses_pass(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(repo, **{"flask_3.1.3": "BSD-3-Clause", "somelib_1.0": "MIT OR GPL-3.0-only"})
    assert main(["requirements.txt"]) == 0
    assert capsys.readouterr().out == ""


def test_denied_license_blocks(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(repo, **{"flask_3.1.3": "BSD-3-Clause", "somelib_1.0": "GPL-3.0-or-later"})
    assert main(["requirements.txt"]) == 1
    assert ("requirements.txt:2: error: somelib==1.0 is under GPL-3.0-or-later, which the "
            "license policy does not allow") in capsys.readouterr().out


def test_review_needs_a_recorded_approval(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(repo, **{"flask_3.1.3": "BSD-3-Clause", "somelib_1.0": "MPL-2.0"})
    assert main(["requirements.txt"]) == 1
    assert "needs the platform team's review" in capsys.readouterr().out
    (repo / "pyproject.toml").write_text(
        '[tool.microgate.licenses]\nreviewed = ["somelib==1.0"]\n')
    assert main(["requirements.txt"]) == 0


def test_a_finding_names_the_line_to_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A package pulled in by another is traced, through pip-compile's notes, to the
    requirements.in line the owner can change."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("# the app's libraries\nreportkit>=2\n")
    (tmp_path / "requirements.txt").write_text(
        f"reportkit==2.0 \\\n    {HASH}\n    # via -r requirements.in\n"
        f"somelib==1.0 \\\n    {HASH}\n    # via\n    #   chartlib\n    #   reportkit\n"
        f"chartlib==0.3 \\\n    {HASH}\n    # via reportkit\n")
    write_cache(tmp_path, **{"reportkit_2.0": "MIT", "somelib_1.0": "AGPL-3.0-only",
                             "chartlib_0.3": "MPL-2.0"})
    assert main(["requirements.txt"]) == 1
    out = capsys.readouterr().out
    assert ("requirements.txt:4: error: somelib==1.0 is under AGPL-3.0-only, which the license "
            "policy does not allow (reportkit in requirements.in line 2 needs it): replace it, "
            "then run `microgate lock`") in out
    assert ("requirements.txt:9: error: chartlib==0.3 is under MPL-2.0, which needs the "
            "platform team's review before it is used (reportkit in requirements.in line 2 "
            "needs it): ask them") in out
    assert main(["requirements.txt"]) == 1
    assert "reportkit==2.0" not in capsys.readouterr().out


def test_repo_can_narrow_but_not_widen(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(repo, **{"flask_3.1.3": "BSD-3-Clause", "somelib_1.0": "MIT"})
    (repo / "pyproject.toml").write_text('[tool.microgate.licenses]\ndeny = ["BSD-*"]\n')
    assert main(["requirements.txt"]) == 1
    assert "flask==3.1.3 is under BSD-3-Clause" in capsys.readouterr().out
    (repo / "pyproject.toml").write_text('[tool.microgate.licenses]\nallow = ["GPL-3.0-only"]\n')
    assert main(["requirements.txt"]) == 1
    assert "does not know allow" in capsys.readouterr().out


def test_package_missing_from_the_cache_names_the_fix(repo: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    write_cache(repo, **{"flask_3.1.3": "BSD-3-Clause"})
    assert main(["requirements.txt"]) == 1
    assert ("requirements.txt:2: error: somelib==1.0 has no license on record: run "
            "`microgate licenses refresh`") in capsys.readouterr().out


def test_damaged_cache(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".microgate").mkdir()
    (repo / ".microgate" / "licenses.json").write_bytes(b"\xff\x00")
    assert main(["requirements.txt"]) == 1
    assert "is damaged: run 'microgate licenses refresh'" in capsys.readouterr().out


@pytest.mark.parametrize(("expression", "license_text", "classifiers", "expected"), [
    ("BSD-3-Clause", None, [], "BSD-3-Clause"),
    (None, "MIT License", [], "MIT"),
    (None, "Apache 2.0", [], "Apache-2.0"),
    (None, None, ["License :: OSI Approved :: MIT License"], "MIT"),
    (None, "see LICENSE file\nlong text", [], None),
])
def test_normalise_to_spdx(expression: str | None, license_text: str | None,
                           classifiers: list[str], expected: str | None) -> None:
    assert normalise(expression, license_text, classifiers, default_license_policy())[0] == \
        expected


@pytest.mark.parametrize(("expression", "status"), [
    ("MIT", "allow"),
    ("MIT OR GPL-3.0-only", "allow"),
    ("MIT AND GPL-3.0-only", "deny"),
    ("Apache-2.0 WITH LLVM-exception", "allow"),
    ("MPL-2.0", "review"),
    ("SomethingNew-1.0", "review"),
])
def test_expressions(expression: str, status: str) -> None:
    assert evaluate(expression, default_license_policy()) == status


@pytest.mark.parametrize("expression", [
    "MIT OR GPL-3.0-only", "GPL-3.0-only OR AGPL-3.0-only OR MIT", "MIT AND GPL-3.0-only",
    "Apache-2.0 AND BSD-3-Clause AND MPL-2.0", "GPL-3.0-only OR MIT AND BSD-3-Clause",
    "(GPL-3.0-only OR MIT) AND BSD-3-Clause", "MIT or GPL-3.0-only", "MIT OR",
    "GPL-2.0+ OR MIT", "Apache-2.0 WITH LLVM-exception OR GPL-3.0-only",
])
def test_expressions_read_without_the_parser_judge_as_the_parser_does(expression: str) -> None:
    """Ids joined by one operator skip license_expression (its import is the licenses
    hook's largest cost); mixed operators, parentheses and WITH still go through it."""
    policy = default_license_policy()
    assert evaluate(expression, policy) == evaluate_parsed(expression, policy)


@pytest.mark.slow
def test_refresh_reads_the_real_package_index(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        f"flask==3.1.3 {HASH}\nannotated-types==0.7.0 {HASH}\n")
    result = microgate("licenses", "refresh", str(tmp_path))
    assert result.returncode == 0, result.output
    cache = json.loads((tmp_path / ".microgate" / "licenses.json").read_text())["packages"]
    assert cache["flask==3.1.3"]["license"] == "BSD-3-Clause"
    assert cache["annotated-types==0.7.0"]["license"] == "MIT"


@pytest.mark.slow
def test_refresh_reads_license_files_when_the_metadata_is_vague(tmp_path: Path) -> None:
    """idna 3.4 says only "BSD License" (which BSD?); its LICENSE.md says BSD-3-Clause.
    The lockfile sits in a requirements/ folder: every lockfile is looked up."""
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text(f"idna==3.4 {HASH}\n")
    result = microgate("licenses", "refresh", str(tmp_path))
    assert result.returncode == 0, result.output
    cache = json.loads((tmp_path / ".microgate" / "licenses.json").read_text())["packages"]
    assert cache["idna==3.4"] == {**cache["idna==3.4"], "license": "BSD-3-Clause",
                                  "source": "license files"}


def test_refresh_without_network_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(f"flask==3.1.3 {HASH}\n")
    result = microgate("licenses", "refresh", str(tmp_path), timeout=60,
                       env={"MICROGATE_INDEX_URL": "http://127.0.0.1:9/simple"})
    assert result.returncode == 1
    assert "could not reach the package index" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / ".microgate" / "licenses.json").exists()


def test_exact_ids_win_over_patterns_and_repos_can_still_deny_them() -> None:
    policy = default_license_policy()
    assert policy.status_of("LicenseRef-OSI-BSD") == "allow"  # although LicenseRef-* is review
    assert policy.status_of("LicenseRef-Proprietary") == "review"
    assert policy.narrowed({"deny": ["LicenseRef-OSI-BSD"]}).status_of(
        "LicenseRef-OSI-BSD") == "deny"


def test_every_lockfile_of_the_repo_is_checked(repo: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements").mkdir()
    (repo / "requirements" / "dev.txt").write_text(f"devtool==2.0 {HASH}\n")
    (repo / "services" / "worker").mkdir(parents=True)
    (repo / "services" / "worker" / "requirements.txt").write_text(f"agpl-thing==1.1 {HASH}\n")
    write_cache(repo, **{"flask_3.1.3": "BSD-3-Clause", "somelib_1.0": "MIT",
                         "devtool_2.0": "Apache-2.0 OR BSD-3-Clause",
                         "agpl-thing_1.1": "AGPL-3.0-only"})
    assert main(["requirements.txt"]) == 1
    out = capsys.readouterr().out
    assert ("services/worker/requirements.txt:1: error: agpl-thing==1.1 is under "
            "AGPL-3.0-only") in out
    assert "devtool" not in out


def test_pins_of_a_uv_lock_are_checked(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "gpl-lib"\nversion = "2.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        'sdist = { url = "https://x/gpl-lib-2.0.tar.gz", hash = "sha256:' + "0" * 64 + '" }\n')
    write_cache(repo, **{"flask_3.1.3": "BSD-3-Clause", "somelib_1.0": "MIT",
                         "gpl-lib_2.0": "GPL-3.0-only"})
    assert main(["uv.lock"]) == 1
    assert "uv.lock:3: error: gpl-lib==2.0 is under GPL-3.0-only" in capsys.readouterr().out
