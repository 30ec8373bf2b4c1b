"""Names that should not be there: look-alikes and brand-new releases in the pins check,
and 'no such package' when locking."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from hooks.pins import main
from scaffold.engines.deps.names import closest_popular, edit_distance
from scaffold.errors import MicrogateError
from scaffold.generation.lockfile import lock

HASH = " --hash=sha256:" + "0" * 64


@pytest.mark.parametrize("name,meant", [
    ("reqeusts", "requests"),  # two letters swapped
    ("python-dateutils", "python-dateutil"),  # one letter added
    ("urlib3", "urllib3"),  # one letter dropped
    ("beautifulsoup", "beautifulsoup4"),
    ("numpyy", "numpy"),
    ("djang", "django"),
])
def test_look_alikes_of_popular_packages(name: str, meant: str) -> None:
    assert closest_popular(name) == meant


@pytest.mark.parametrize("name", ["requests", "numpy", "Flask", "python_dateutil",
                                  "our-internal-billing", "zzz", "fastapi"])
def test_real_popular_and_unrelated_names_are_not_look_alikes(name: str) -> None:
    assert closest_popular(name) is None


def test_edit_distance_counts_a_swap_once() -> None:
    assert edit_distance("reqeusts", "requests") == 1
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("kitten", "sitting", limit=9) == 3


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "microapp.yaml").write_text("tier: 1\n")
    monkeypatch.chdir(app)
    return app


def test_the_pins_check_flags_a_look_alike_in_the_in_file(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements.in").write_text("reqeusts>=2\nflask>=3\n")
    (repo / "requirements.txt").write_text(f"reqeusts==2.0{HASH}\nflask==3.0.0{HASH}\n")
    assert main(["requirements.in", "requirements.txt"]) == 1
    out = capsys.readouterr().out
    assert "requirements.in:1: error: reqeusts is a letter or two away from the popular " \
           "package requests: did you mean requests?" in out
    assert "flask is a letter" not in out


def test_an_internal_package_in_the_curated_set_or_approved_is_not_flagged(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements.txt").write_text(f"reqeusts==2.0{HASH}\n")
    (repo / "pyproject.toml").write_text('[tool.microgate.dependencies]\napproved = ["reqeusts"]\n')
    assert main(["requirements.txt"]) == 0


def _uploaded(repo: Path, key: str, days_ago: int) -> None:
    when = (dt.date.today() - dt.timedelta(days=days_ago)).isoformat()
    (repo / ".microgate").mkdir(exist_ok=True)
    (repo / ".microgate" / "licenses.json").write_text(json.dumps(
        {"packages": {key: {"license": "MIT", "source": "test", "uploaded": when}}}))


def test_a_release_younger_than_the_cooldown_is_flagged(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements.txt").write_text(f"flask==9.9.9{HASH}\n")
    _uploaded(repo, "flask==9.9.9", 2)
    assert main(["requirements.txt"]) == 1
    assert "flask==9.9.9 was released 2 days ago; tier 1 waits 7 days" in \
        capsys.readouterr().out
    _uploaded(repo, "flask==9.9.9", 30)
    assert main(["requirements.txt"]) == 0


@pytest.mark.slow
def test_locking_a_package_the_index_does_not_have_says_so(repo: Path) -> None:
    (repo / "requirements.in").write_text("reqeusts-no-such-package-xq\n")
    with pytest.raises(MicrogateError) as caught:
        lock(repo)
    message = caught.value.message
    if "could not reach the package index" in message:
        pytest.skip("the package index is not reachable from here")
    assert "no such package on the index: reqeusts-no-such-package-xq" in message


def test_an_internal_package_the_curated_set_allows_is_not_a_look_alike(
        repo: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A platform whose own package is one letter from a popular one lists it."""
    from scaffold.engines.deps import names

    platform_set = names.CuratedSet(allowed={1: {"requestz": "our HTTP wrapper"}}, denied={})
    monkeypatch.setattr(names, "curated_set", lambda: platform_set)
    (repo / "requirements.txt").write_text(f"requestz==1.0{HASH}\n")
    assert main(["requirements.txt"]) == 0
    assert "look-alike" not in capsys.readouterr().out
