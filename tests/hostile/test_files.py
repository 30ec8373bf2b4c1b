"""Files in a pull request: pipes, links out of the repo, bombs, deep nesting, huge files,
odd encodings and lockfile options. Nothing hangs, nothing outside the repo is read,
nothing crashes; each case says what the user is told."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testing.hostile import SECRETS, billion_laughs, microgate
from testing.util import commit_all, git

CHECK_OF = {
    "requirements.txt": "pins",
    "microapp.yaml": "manifest",
    "infra/extra.tf": "cost",
    "app/extra.py": "sast",
    "prompts/manifest.yaml": "prompts",
    "settings.env": "secrets",
    "tests/test_extra.py": "test-presence",
}


def _check(app: Path, name: str, *extra: str) -> list[str]:
    return ["check", "--all-files", "--only", name, *extra]


# -- pipes: a reader that opens one blocks for ever ------------------------------------

@pytest.mark.parametrize("path", sorted(CHECK_OF))
def test_a_named_pipe_never_hangs_a_check(app: Path, path: str) -> None:
    target = app / path
    target.unlink(missing_ok=True)
    os.mkfifo(target)
    result = microgate(*_check(app, CHECK_OF[path]), cwd=app, timeout=90)
    assert "Traceback" not in result.output
    assert result.returncode in (0, 1), result.output


def test_a_named_pipe_in_the_terraform_never_hangs_checkov(app: Path) -> None:
    os.mkfifo(app / "infra" / "pipe.tf")
    result = microgate(*_check(app, "iac"), cwd=app, timeout=300)
    assert "Traceback" not in result.output
    assert "infra/pipe.tf: skipped" in result.output


# -- links out of the repo -------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(CHECK_OF))
def test_a_link_out_of_the_repo_is_never_followed(app: Path, outside: Path,
                                                  path: str) -> None:
    target = app / path
    target.unlink(missing_ok=True)
    target.symlink_to(outside)
    result = microgate(*_check(app, CHECK_OF[path]), cwd=app, timeout=90)
    assert "OUTSIDE-CONTENT" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("path", ["requirements.txt", "microapp.yaml", "infra/zero.tf"])
def test_a_link_to_dev_zero_is_not_read(app: Path, path: str) -> None:
    target = app / path
    target.unlink(missing_ok=True)
    target.symlink_to("/dev/zero")
    check = {"requirements.txt": "pins", "microapp.yaml": "manifest",
             "infra/zero.tf": "cost"}[path]
    result = microgate(*_check(app, check), cwd=app, timeout=90)
    assert "Traceback" not in result.output
    assert result.returncode in (0, 1)


def test_a_terraform_link_out_of_the_repo_is_kept_from_checkov(app: Path,
                                                               outside: Path) -> None:
    (app / "infra" / "stolen.tf").symlink_to(outside)
    result = microgate(*_check(app, "iac"), cwd=app, timeout=300)
    assert "OUTSIDE-CONTENT" not in result.output
    assert "infra/stolen.tf: skipped" in result.output


@pytest.mark.parametrize("include", ["/etc/passwd", "../outside-secret.txt", "/dev/zero",
                                     "pipe.in"])
def test_requirement_includes_stay_inside_the_repo(app: Path, outside: Path,
                                                   include: str) -> None:
    if include == "pipe.in":
        os.mkfifo(app / "pipe.in")
    (app / "requirements.in").write_text(f"-r {include}\n", encoding="utf-8")
    (app / "requirements.txt").write_text("", encoding="utf-8")
    result = microgate(*_check(app, "pins"), cwd=app, timeout=60)
    assert "OUTSIDE-CONTENT" not in result.output and "root:" not in result.output
    assert "Traceback" not in result.output
    if include != "pipe.in":
        assert "points outside the repo" in result.output


# -- bombs, nesting, size ---------------------------------------------------------------

@pytest.mark.parametrize("path,check", [("microapp.yaml", "manifest"),
                                        ("prompts/manifest.yaml", "prompts"),
                                        ("config/bomb.yaml", "secrets"),
                                        ("microapp.yaml", "cost")])
def test_a_billion_laughs_is_refused_without_exhausting_memory(app: Path, path: str,
                                                               check: str) -> None:
    (app / path).parent.mkdir(parents=True, exist_ok=True)
    (app / path).write_text(billion_laughs(), encoding="utf-8")
    result = microgate(*_check(app, check), cwd=app, timeout=60)
    assert "Traceback" not in result.output
    assert "MemoryError" not in result.output
    if check == "manifest":
        assert result.returncode == 1
        assert "expands to more than" in result.output


@pytest.mark.parametrize("path,text,check", [
    ("microapp.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", "manifest"),
    ("prompts/manifest.yaml", "prompts: " + "{a: " * 3000 + "1" + "}" * 3000, "prompts"),
    ("app/deep.py", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", "test-presence"),
    ("app/deep2.py", "x = " + "[" * 5000 + "]" * 5000 + "\n", "sast"),
    ("infra/deep.tf", 'locals {\n  x = ' + "[" * 3000 + "]" * 3000 + "\n}\n", "cost"),
    ("config/deep.json", "[" * 100000 + "]" * 100000, "secrets"),
])
def test_deep_nesting_is_reported_not_crashed(app: Path, path: str, text: str,
                                              check: str) -> None:
    (app / path).parent.mkdir(parents=True, exist_ok=True)
    (app / path).write_text(text, encoding="utf-8")
    result = microgate(*_check(app, check), cwd=app, timeout=120)
    assert "Traceback" not in result.output
    assert "RecursionError" not in result.output
    assert "internal error" not in result.output
    assert result.returncode in (0, 1)


def test_a_huge_terraform_file_is_skipped_with_a_note(app: Path) -> None:
    block = 'resource "aws_s3_bucket" "b%d" {\n  bucket = "x"\n}\n'
    (app / "infra" / "huge.tf").write_text("".join(block % i for i in range(90_000)),
                                           encoding="utf-8")
    result = microgate(*_check(app, "cost"), cwd=app, timeout=120)
    assert "huge.tf: skipped" in result.output
    assert result.seconds < 60


def test_a_huge_python_file_is_skipped_by_sast(app: Path) -> None:
    (app / "app" / "huge.py").write_text("x = 1\n" * 500_000, encoding="utf-8")
    result = microgate(*_check(app, "sast"), cwd=app, timeout=120)
    assert "huge.py: skipped" in result.output


def test_a_huge_text_file_is_skipped_by_secrets(app: Path) -> None:
    (app / "dump.txt").write_bytes(b"a" * 11_000_000)
    result = microgate(*_check(app, "secrets"), cwd=app, timeout=120)
    assert "dump.txt: skipped" in result.output


# -- encodings ---------------------------------------------------------------------------

def _aws_line() -> str:
    return f'aws_access_key_id = "{SECRETS["aws-key-id"]}"\n'


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-16-be-bom",
                                      "utf-32", "latin-1", "nul-bytes", "utf-8-bom"])
def test_secrets_are_found_whatever_the_encoding(app: Path, encoding: str) -> None:
    text = "# settings\n" + _aws_line()
    data = {
        "utf-16": text.encode("utf-16"),
        "utf-16-le-bom": b"\xff\xfe" + text.encode("utf-16-le"),
        "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
        "utf-32": text.encode("utf-32"),
        "latin-1": ("# caf\xe9\n" + _aws_line()).encode("latin-1"),
        "nul-bytes": b"# header\x00\x00\n" + _aws_line().encode(),
        "utf-8-bom": b"\xef\xbb\xbf" + text.encode(),
    }[encoding]
    (app / "settings.cfg").write_bytes(data)
    result = microgate(*_check(app, "secrets"), cwd=app, timeout=60)
    assert result.returncode == 1, result.output
    assert "settings.cfg:2" in result.output
    assert SECRETS["aws-key-id"] not in result.output


def test_binary_files_are_skipped_with_a_note(app: Path) -> None:
    (app / "image.bin").write_bytes(bytes(range(256)) * 64)
    result = microgate(*_check(app, "secrets"), cwd=app, timeout=60)
    assert "binary file not scanned for secrets (image.bin)" in result.output


@pytest.mark.parametrize("data,why", [
    (b"x = 1\n\xff\xfe\n", "not UTF-8"),
    ("x = 1\n".encode("utf-16"), "binary"),
    (b"\x00\x01\x02\x03", "binary"),
])
def test_sast_skips_python_it_cannot_read_and_checks_the_rest(app: Path, data: bytes,
                                                               why: str) -> None:
    (app / "app" / "odd.py").write_bytes(data)
    (app / "app" / "bad.py").write_text("import os\nos.system('ls ' + input())\n",
                                        encoding="utf-8")
    result = microgate(*_check(app, "sast"), cwd=app, timeout=120)
    assert "Traceback" not in result.output
    assert "app/odd.py: skipped" in result.output and why in result.output
    assert "app/bad.py:2" in result.output


def test_a_file_name_that_is_not_utf8(app: Path) -> None:
    name = os.fsdecode(b"app/caf\xe9.py")
    Path(app, name).write_text("import os\nos.system('ls ' + input())\n", encoding="utf-8")
    result = microgate("check", "--all-files", "--only", "sast", "--only", "secrets",
                       cwd=app, timeout=120)
    assert "Traceback" not in result.output
    assert "its name is not UTF-8" in result.output


def test_duplicate_manifest_keys_are_refused(app: Path) -> None:
    manifest = app / "microapp.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "tier: 0\n", encoding="utf-8")
    result = microgate(*_check(app, "manifest"), cwd=app, timeout=60)
    assert result.returncode == 1
    assert "the key 'tier' appears twice" in result.output


# -- staged mode judges what the commit will hold -------------------------------------------

def test_a_staged_secret_edited_away_in_the_worktree_is_still_caught(app: Path) -> None:
    secret_file = app / "app" / "settings.py"
    secret_file.write_text(_aws_line(), encoding="utf-8")
    git(app, "add", "app/settings.py")
    secret_file.write_text("aws_access_key_id = None\n", encoding="utf-8")
    result = microgate("check", "--only", "secrets", cwd=app, timeout=60)
    assert result.returncode == 1, result.output
    assert "app/settings.py:1" in result.output


def test_a_staged_manifest_is_judged_not_the_worktree_copy(app: Path) -> None:
    manifest = app / "microapp.yaml"
    good = manifest.read_text(encoding="utf-8")
    manifest.write_text(good.replace("tier: 1", "tier: 7"), encoding="utf-8")
    git(app, "add", "microapp.yaml")
    manifest.write_text(good, encoding="utf-8")
    result = microgate("check", "--only", "manifest", cwd=app, timeout=60)
    assert result.returncode == 1, result.output
    assert "tier" in result.output


def test_staged_mode_matches_the_worktree_when_nothing_differs(app: Path) -> None:
    (app / "app" / "clean.py").write_text("VALUE = 1\n", encoding="utf-8")
    git(app, "add", "app/clean.py")
    result = microgate("check", "--only", "secrets", cwd=app, timeout=60)
    assert result.returncode == 0, result.output
    commit_all(app)


# -- lockfile options that change where packages come from ------------------------------------

@pytest.mark.parametrize("line,rule", [
    ("--index-url https://mirror.example.com/simple", "package-source"),
    ("--extra-index-url http://evil.example.com/simple", "package-source"),
    ("-i https://mirror.example.com/simple", "package-source"),
    ("--trusted-host evil.example.com", "package-source"),
    ("--find-links http://evil.example.com/wheels", "package-source"),
    ("--no-index", "package-source"),
    ("flask==3.1.0 --hash=", "bad-hash"),
    ("flask==3.1.0 --hash=sha256:nothex", "bad-hash"),
    ("flask==3.1.0 --hash=md5:" + "0" * 32, "bad-hash"),
    ("flask==3.1.0 --hash=sha256:" + "0" * 63, "bad-hash"),
])
def test_pins_refuses_lockfile_options_that_move_the_source(app: Path, line: str,
                                                            rule: str) -> None:
    (app / "requirements.txt").write_text(line + "\n", encoding="utf-8")
    result = microgate(*_check(app, "pins"), cwd=app, timeout=60)
    assert result.returncode == 1, result.output
    assert f"[pins/{rule}]" in result.output


def test_a_well_formed_hash_passes(app: Path) -> None:
    (app / "requirements.txt").write_text("flask==3.1.0 --hash=sha256:" + "0" * 64 + "\n",
                                          encoding="utf-8")
    (app / "requirements.in").unlink(missing_ok=True)
    result = microgate(*_check(app, "pins"), cwd=app, timeout=60)
    assert "[pins/bad-hash]" not in result.output
    assert "[pins/package-source]" not in result.output
