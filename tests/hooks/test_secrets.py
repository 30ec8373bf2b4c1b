"""microgate-secrets, called as pre-commit calls it, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooks.secrets import main
from testing.fakes import FAKE_SECRETS, secret_line, secret_value
from testing.util import microgate


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", sorted(FAKE_SECRETS))
def test_each_kind_of_key_is_found_and_never_printed(
    repo: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "config.py").write_text("import os\n\n" + secret_line(name) + "\n")
    assert main(["config.py"]) == 1
    out = capsys.readouterr().out
    expected_type = FAKE_SECRETS[name][1]
    assert f"config.py:3: error: {expected_type} (redacted)" in out
    assert secret_value(name) not in out
    assert secret_value(name)[8:20] not in out


def test_clean_file_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "app.py").write_text('API_KEY = os.environ["API_KEY"]\nname = "hello world"\n')
    assert main(["app.py"]) == 0
    assert capsys.readouterr().out == ""


def test_pragma_allowlists_one_line(repo: Path) -> None:
    line = secret_line("openai") + "  # pragma: allowlist secret"
    (repo / "test_values.py").write_text(line + "\n")
    assert main(["test_values.py"]) == 0


def test_baseline_accepts_reviewed_findings_only(repo: Path) -> None:
    (repo / "a.py").write_text(secret_line("openai") + "\n")
    result = microgate("secrets", "baseline", str(repo))
    assert result.returncode == 0, result.output
    baseline = json.loads((repo / ".secrets.baseline").read_text())
    assert list(baseline["results"]) == ["a.py"]
    assert secret_value("openai") not in (repo / ".secrets.baseline").read_text()
    assert main(["a.py"]) == 0
    (repo / "a.py").write_text(secret_line("openai") + "\n" + secret_line("stripe") + "\n")
    assert main(["a.py"]) == 1


def test_baseline_written_by_detect_secrets_is_honoured(repo: Path) -> None:
    import subprocess
    import sys

    (repo / "settings.py").write_text(secret_line("aws") + "\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    scan = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "--all-files"],
        cwd=repo, capture_output=True, text=True, check=True,
    )
    (repo / ".secrets.baseline").write_text(scan.stdout)
    assert main(["settings.py"]) == 0


@pytest.mark.parametrize("name", ["github-classic", "slack-token", "stripe", "openai"])
def test_detect_secrets_baselines_keep_working_for_rule_findings(repo: Path, name: str) -> None:
    """detect-secrets hashes some tokens by their prefix only (``ghp``); microgate reports
    the whole token under its rule, and a baseline made by detect-secrets still holds."""
    import subprocess
    import sys

    (repo / "settings.py").write_text(secret_line(name) + "\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    scan = subprocess.run([sys.executable, "-m", "detect_secrets", "scan", "--all-files"],
                          cwd=repo, capture_output=True, text=True, check=True)
    assert json.loads(scan.stdout)["results"], "detect-secrets itself finds it"
    (repo / ".secrets.baseline").write_text(scan.stdout)
    assert main(["settings.py"]) == 0
    (repo / "settings.py").write_text(secret_line(name) + "\n" + secret_line("aws") + "\n")
    assert main(["settings.py"]) == 1


def test_broken_baseline_is_one_clear_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".secrets.baseline").write_text("{not json")
    (repo / "a.py").write_text(secret_line("aws") + "\n")
    assert main(["a.py"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a valid detect-secrets baseline" in err


def test_binary_symlink_missing_and_non_utf8_files_do_not_crash(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 10)
    (repo / "latin1.py").write_bytes(("# caf\xe9\n" + secret_line("stripe") + "\n")
                                     .encode("latin-1"))
    (repo / "link.py").symlink_to(repo / "latin1.py")
    assert main(["logo.png", "latin1.py", "link.py", "deleted.py"]) == 1
    out = capsys.readouterr().out
    assert "latin1.py:2: error: Stripe" in out
    assert "link.py: skipped (a symbolic link" in out
    assert "1 binary file not scanned for secrets (logo.png)" in out
    assert "deleted.py" not in out


def test_huge_file_is_skipped_with_a_note(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (repo / "dump.sql").open("w") as handle:
        line = "INSERT INTO t VALUES (1, 'just some ordinary data here');\n"
        handle.write(line * (50_000_000 // len(line)))
    assert main(["dump.sql"]) == 0
    assert "dump.sql: skipped (50.0 MB is over the 10.0 MB limit" in capsys.readouterr().out


def test_secret_on_a_long_line_is_still_found(repo: Path) -> None:
    filler = " ".join(["lorem ipsum dolor sit amet"] * 38)  # ~1,000 characters, no '='
    readme = "\n".join([filler] * 150 + ["key: " + secret_value("github-classic")])
    (repo / "README.md").write_text(readme + "\n")
    assert main(["README.md"]) == 1


def test_all_files_mode_scans_the_repo(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "src").mkdir()
    (repo / "src" / "deep.py").write_text(secret_line("huggingface") + "\n")
    assert main(["--all-files"]) == 1
    assert "src/deep.py:1" in capsys.readouterr().out


def test_a_pinned_hook_revision_is_not_a_secret(repo: Path) -> None:
    sha = "11bd71901bbe5b1630ceea73d27597364c9af683"
    config = f"repos:\n  - repo: https://example.com/hooks\n    rev: {sha}\n"
    (repo / ".pre-commit-config.yaml").write_text(config)
    assert main([".pre-commit-config.yaml"]) == 0
    (repo / "settings.yaml").write_text(f'token: "{sha}"\n')
    assert main(["settings.yaml"]) == 1


def test_a_lockfiles_hashes_hide_no_secret_beside_them() -> None:
    """The quick yes/no test before detect-secrets' plugins skips pip's hash tokens; a
    secret on the lines around them is found exactly as without that test."""
    from scaffold.engines.secrets import SecretScanner

    digest = "--hash=sha256:" + "0123456789abcdef" * 4
    lockfile = "".join(
        f"package{n}==1.0.{n} \\\n    {digest} \\\n    {digest}\n" for n in range(40))
    planted = (lockfile + f"# {secret_line('database-url')}\n"
               + f'password = "{secret_value("huggingface")[::-1]}"\n' + lockfile)
    quick = SecretScanner()
    exact = SecretScanner()
    exact._scan_every_line = True  # no yes/no test: every line through the plugins
    found = {(f.line, f.type) for f in quick.findings_in_text(planted, "requirements.txt")}
    assert found == {(f.line, f.type)
                     for f in exact.findings_in_text(planted, "requirements.txt")}
    assert len(found) >= 2  # the database URL and the password
    assert not quick.findings_in_text(lockfile, "requirements.txt")
