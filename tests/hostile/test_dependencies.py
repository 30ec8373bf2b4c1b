"""Hostile advisory sources and caches: `microgate vulns refresh` and the vulns and
dependencies checks read files an attacker may control (a pull request can edit the
cache; a source may be a crafted archive)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from testing.hostile import billion_laughs, microgate

HASH = " --hash=sha256:" + "0" * 64


@pytest.fixture
def pinned(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    (app / ".microgate").mkdir(parents=True)
    (app / "microapp.yaml").write_text("tier: 1\n")
    (app / "requirements.txt").write_text(f"jinja2==2.10{HASH}\n")
    return app


def test_a_yaml_bomb_in_an_advisory_folder_is_skipped(pinned: Path, tmp_path: Path) -> None:
    folder = tmp_path / "db" / "vulns" / "jinja2"
    folder.mkdir(parents=True)
    bomb = billion_laughs("affected: [{package: {name: jinja2, ecosystem: PyPI}}]\n")
    (folder / "PYSEC-0-1.yaml").write_text(bomb)
    result = microgate("vulns", "refresh", str(pinned), "--from", str(tmp_path / "db"),
                       "--offline", timeout=60)
    assert result.returncode == 0, result.output
    assert "0 advisories" in result.stdout


def test_a_link_in_an_advisory_folder_is_not_followed(pinned: Path, tmp_path: Path,
                                                      outside: Path) -> None:
    folder = tmp_path / "db" / "vulns" / "jinja2"
    folder.mkdir(parents=True)
    (folder / "PYSEC-0-2.yaml").symlink_to(outside)
    result = microgate("vulns", "refresh", str(pinned), "--from", str(tmp_path / "db"),
                       "--offline", timeout=60)
    assert result.returncode == 0
    assert "OUTSIDE" not in result.output


def test_an_oversized_archive_member_is_skipped(pinned: Path, tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("BIG.json", '{"id": "BIG", "details": "' + "x" * 5_000_000 + '"}')
    result = microgate("vulns", "refresh", str(pinned), "--from", str(archive), "--offline",
                       timeout=60)
    assert result.returncode == 0
    assert "0 advisories" in result.stdout


@pytest.mark.parametrize("cache", [
    "[" * 100_000 + "]" * 100_000,
    '{"advisories": "not a list"}',
    "not json",
])
def test_a_broken_cache_in_a_pull_request_is_one_line(pinned: Path, cache: str) -> None:
    (pinned / ".microgate" / "vulns.json").write_text(cache)
    result = microgate("check", "--all-files", "--only", "vulns", "--repo", str(pinned),
                       timeout=60)
    result.assert_clean_error(1)
    assert "microgate vulns refresh" in result.stdout


def test_a_bomb_in_the_accepted_risks_is_refused(pinned: Path) -> None:
    (pinned / ".microgate" / "vulns.json").write_text(json.dumps(
        {"packages": ["jinja2"], "advisories": []}))
    (pinned / ".microgate" / "vulns-accepted.yaml").write_text(billion_laughs())
    result = microgate("check", "--all-files", "--only", "vulns", "--repo", str(pinned),
                       timeout=60)
    result.assert_clean_error(1)
    assert "expands to more than" in result.stdout


def test_a_hostile_import_line_does_not_crash_the_dependencies_check(pinned: Path) -> None:
    (pinned / "app.py").write_text("import " + ".".join(["a"] * 5000) + "\n" +
                                   "x = " + "(" * 5000 + ")" * 5000 + "\n")
    result = microgate("check", "--all-files", "--only", "dependencies", "--repo",
                       str(pinned), timeout=60)
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_a_license_file_that_inflates_to_hundreds_of_megabytes_is_read_only_in_part() -> None:
    """A wheel is the package author's: its license file is read up to 200 kB, never
    inflated whole."""
    import io
    import zipfile

    from scaffold.engines.licenseindex import _read_start

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("evil-1.0.dist-info/LICENSE", "w", force_zip64=True) as member:
            for _ in range(256):  # 256 MiB of zeros, a few hundred kB packed
                member.write(bytes(1 << 20))
    wheel = zipfile.ZipFile(io.BytesIO(packed.getvalue()))
    assert len(packed.getvalue()) < 10_000_000
    assert len(_read_start(wheel, "evil-1.0.dist-info/LICENSE")) == 200_000
