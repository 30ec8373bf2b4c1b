"""microgate-vulns and `microgate vulns`: a lockfile of vulnerable pins against advisories
written here in the PyPA database's YAML and in OSV JSON."""

from __future__ import annotations

import datetime as dt
import json
import time
import zipfile
from pathlib import Path

import pytest

from hooks.vulns import main
from testing.util import microgate

HASH = " --hash=sha256:" + "0" * 64
TODAY = dt.date.today()

PYPA_JINJA = """\
id: PYSEC-9999-101
details: The sandbox can be escaped through str.format_map.
aliases:
- CVE-9999-0101
affected:
- package:
    name: Jinja2
    ecosystem: PyPI
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: "0"
    - fixed: 2.10.1
"""
PYPA_YAML = """\
id: PYSEC-9999-102
details: full_load runs arbitrary constructors on untrusted input.
affected:
- package:
    name: PyYAML
    ecosystem: PyPI
  versions:
  - "5.3"
  - 5.3.1
"""
OSV_JINJA_GHSA = {
    "id": "GHSA-9999-jjjj-0101",
    "aliases": ["CVE-9999-0101"],
    "summary": "Sandbox escape via format_map",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
                  "ranges": [{"type": "ECOSYSTEM",
                              "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}]}],
}
OSV_REQUESTS_LOW = {
    "id": "GHSA-9999-rrrr-0103",
    "summary": "Proxy credentials sent on redirect",
    "database_specific": {"severity": "LOW"},
    "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                  "ranges": [{"type": "ECOSYSTEM",
                              "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}]}],
}
OSV_GIT_RANGE = {
    "id": "GHSA-9999-gggg-0107", "summary": "A flaw also given by commit",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
                  "ranges": [{"type": "GIT", "repo": "https://example.com/jinja.git",
                              "events": [{"introduced": "0"},
                                         {"fixed": "2545222a3853e31ace15d87ae0e2effb7da0c96b"}]},
                             {"type": "ECOSYSTEM",
                              "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}]}],
}
OSV_WITHDRAWN = {**OSV_REQUESTS_LOW, "id": "GHSA-9999-wwww-0104",
                 "withdrawn": "2024-05-01T00:00:00Z", "database_specific": {"severity": "CRITICAL"}}


def pypa_database(root: Path) -> Path:
    for package, name, text in (("jinja2", "PYSEC-9999-101", PYPA_JINJA),
                                ("pyyaml", "PYSEC-9999-102", PYPA_YAML)):
        folder = root / "vulns" / package
        folder.mkdir(parents=True)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    (root / "vulns" / "django").mkdir()
    (root / "vulns" / "django" / "PYSEC-9999-200.yaml").write_text(
        PYPA_JINJA.replace("Jinja2", "Django"), encoding="utf-8")
    return root


def osv_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for record in (OSV_JINJA_GHSA, OSV_REQUESTS_LOW, OSV_WITHDRAWN):
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "microapp.yaml").write_text("tier: 1\n", encoding="utf-8")
    (app / "requirements.txt").write_text(
        f"jinja2==2.10{HASH}\npyyaml==5.3{HASH}\nrequests==2.25.0{HASH}\n", encoding="utf-8")
    monkeypatch.chdir(app)
    return app


def refresh(repo: Path, source: Path) -> None:
    result = microgate("vulns", "refresh", str(repo), "--from", str(source), "--offline")
    assert result.returncode == 0, result.output


def test_vulnerable_pins_are_blocked_with_the_advisory_and_the_fix(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refresh(repo, pypa_database(tmp_path / "db"))
    assert main(["requirements.txt"]) == 1
    out = capsys.readouterr().out
    assert "requirements.txt:1: error: jinja2==2.10 has PYSEC-9999-101 (CVE-9999-0101)" in out
    assert "microgate lock --upgrade-package jinja2==2.10.1" in out
    assert "requirements.txt:2: error: pyyaml==5.3 has PYSEC-9999-102 [unknown]" in out
    assert "no fixed version yet" in out


def test_a_zip_export_merges_aliases_and_ignores_withdrawn(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refresh(repo, osv_zip(tmp_path / "all.zip"))
    cache = json.loads((repo / ".microgate" / "vulns.json").read_text())
    assert sorted(a["id"] for a in cache["advisories"]) == [
        "GHSA-9999-jjjj-0101", "GHSA-9999-rrrr-0103", "GHSA-9999-wwww-0104"]
    assert main(["requirements.txt"]) == 1
    out = capsys.readouterr().out
    assert "jinja2==2.10 has GHSA-9999-jjjj-0101 (CVE-9999-0101) [critical, CVSS 9.8]" in out
    assert "warning: requests==2.25.0 has GHSA-9999-rrrr-0103 [low]" in out
    assert "wwww" not in out


def test_both_sources_merge_into_one_finding_per_flaw(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = pypa_database(tmp_path / "db")
    (database / "vulns" / "jinja2" / "GHSA-9999-jjjj-0101.json").write_text(
        json.dumps(OSV_JINJA_GHSA), encoding="utf-8")
    refresh(repo, database)
    main(["requirements.txt"])
    out = capsys.readouterr().out
    assert out.count("jinja2==2.10 has") == 1
    assert "GHSA-9999-jjjj-0101 (PYSEC-9999-101, CVE-9999-0101) [critical" in out


def test_the_same_lockfile_bumped_to_fixed_versions_passes(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refresh(repo, osv_zip(tmp_path / "all.zip"))
    (repo / "requirements.txt").write_text(
        f"jinja2==2.10.1{HASH}\npyyaml==6.0.1{HASH}\nrequests==2.31.0{HASH}\n")
    assert main(["requirements.txt"]) == 0
    assert "has " not in capsys.readouterr().out


def _accept(repo: Path, until: dt.date, flaw: str = "CVE-9999-0101") -> None:
    (repo / ".microgate" / "vulns-accepted.yaml").write_text(
        "accepted:\n"
        f"  - id: {flaw}\n    reason: the sandbox is never used\n"
        f"    who: ana@example.com\n    until: {until.isoformat()}\n", encoding="utf-8")


def test_an_accepted_risk_passes_until_it_expires(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refresh(repo, osv_zip(tmp_path / "all.zip"))
    _accept(repo, TODAY + dt.timedelta(days=30))
    assert main(["requirements.txt"]) == 0
    assert "accepted by ana@example.com" in capsys.readouterr().out
    _accept(repo, TODAY - dt.timedelta(days=1))
    assert main(["requirements.txt"]) == 1
    assert "its acceptance ran out" in capsys.readouterr().out


def test_an_acceptance_too_far_ahead_or_incomplete_is_refused(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refresh(repo, osv_zip(tmp_path / "all.zip"))
    _accept(repo, TODAY + dt.timedelta(days=400))
    assert main([".microgate/vulns-accepted.yaml"]) == 1
    assert "more than 90 days away" in capsys.readouterr().out
    (repo / ".microgate" / "vulns-accepted.yaml").write_text(
        "accepted:\n  - id: CVE-9999-0101\n", encoding="utf-8")
    assert main([".microgate/vulns-accepted.yaml"]) == 1
    assert "needs reason, who, until" in capsys.readouterr().out


def test_the_tier_sets_the_bar(repo: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    moderate = {**OSV_REQUESTS_LOW, "id": "GHSA-9999-mmmm-0105",
                "database_specific": {"severity": "MODERATE"}}
    with zipfile.ZipFile(tmp_path / "moderate.zip", "w") as archive:
        archive.writestr("GHSA-9999-mmmm-0105.json", json.dumps(moderate))
    refresh(repo, tmp_path / "moderate.zip")
    (repo / "requirements.txt").write_text(f"requests==2.25.0{HASH}\n")
    assert main(["requirements.txt"]) == 0  # tier 1: medium is a warning
    assert "warning: requests==2.25.0 has GHSA-9999-mmmm-0105 [medium]" in \
        capsys.readouterr().out
    (repo / "microapp.yaml").write_text("tier: 2\n")
    assert main(["requirements.txt"]) == 1  # tier 2 blocks from medium on
    assert "error: requests==2.25.0" in capsys.readouterr().out


def test_without_a_cache_nothing_is_claimed(repo: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["requirements.txt"]) == 0
    assert "no advisory cache, so no dependency was checked" in capsys.readouterr().out


def test_a_new_package_not_in_the_cache_is_named(repo: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    refresh(repo, osv_zip(tmp_path / "all.zip"))
    with (repo / "requirements.txt").open("a") as handle:
        handle.write(f"flask==3.0.0{HASH}\n")
    main(["requirements.txt"])
    assert "flask is not in the advisory cache" in capsys.readouterr().out


def test_refresh_fail_on_new_tells_ci_a_new_advisory_appeared(repo: Path,
                                                              tmp_path: Path) -> None:
    refresh(repo, osv_zip(tmp_path / "all.zip"))
    again = microgate("vulns", "refresh", str(repo), "--from", str(tmp_path / "all.zip"),
                      "--fail-on-new", "--offline")
    assert again.returncode == 0, again.output
    database = pypa_database(tmp_path / "db")
    newer = microgate("vulns", "refresh", str(repo), "--from", str(database), "--fail-on-new",
                      "--offline")
    assert newer.returncode == 1
    assert "new: PYSEC-9999-101" in newer.stdout or "new: PYSEC-9999-102" in newer.stdout


def test_refresh_with_no_network_fails_fast_and_clearly(repo: Path) -> None:
    started = time.monotonic()
    result = microgate("vulns", "refresh", str(repo), "--from",
                       "https://127.0.0.1:9/PyPI/all.zip")
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert "cannot reach the advisory source" in result.stderr
    assert "Traceback" not in result.output


def test_a_source_that_is_not_an_archive_is_one_line(repo: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "all.zip"
    bogus.write_text("not a zip")
    result = microgate("vulns", "refresh", str(repo), "--from", str(bogus))
    assert result.returncode == 1
    assert "not a zip archive" in result.stderr
    missing = microgate("vulns", "refresh", str(repo), "--from", str(tmp_path / "nope"))
    assert missing.returncode == 2


def test_vulns_check_lists_them(repo: Path, tmp_path: Path) -> None:
    refresh(repo, osv_zip(tmp_path / "all.zip"))
    result = microgate("vulns", "check", str(repo))
    assert result.returncode == 1
    assert "GHSA-9999-jjjj-0101" in result.stdout


@pytest.mark.slow
def test_a_yanked_fix_release_is_skipped_in_the_advice(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """requests 2.32.0 and 2.32.1 were yanked from the index: the advice names 2.32.2."""
    record = {"id": "GHSA-9999-yyyy-0106", "database_specific": {"severity": "MODERATE"},
              "summary": "verify=False sticks to the session",
              "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                            "ranges": [{"type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": "2.32.0"}]}]}]}
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "GHSA-9999-yyyy-0106.json").write_text(json.dumps(record))
    (repo / "requirements.txt").write_text(f"requests==2.31.0{HASH}\n")
    result = microgate("vulns", "refresh", str(repo), "--from", str(tmp_path / "db"))
    assert result.returncode == 0, result.output
    if "yanked releases not checked" in result.stdout:
        pytest.skip("the package index is not reachable from here")
    main(["requirements.txt"])
    assert "upgrade (2.32.0 was yanked): microgate lock --upgrade-package requests==2.32.2" \
        in capsys.readouterr().out


@pytest.mark.slow
def test_a_git_range_beside_an_ecosystem_range_does_not_trip_the_index_lookup(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(tmp_path / "git.zip", "w") as archive:
        archive.writestr("GHSA-9999-gggg-0107.json", json.dumps(OSV_GIT_RANGE))
    result = microgate("vulns", "refresh", str(repo), "--from", str(tmp_path / "git.zip"))
    assert result.returncode == 0, result.output
    assert "Traceback" not in result.output
    main(["requirements.txt"])
    assert "GHSA-9999-gggg-0107" in capsys.readouterr().out
