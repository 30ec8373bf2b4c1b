"""microgate-pins on real lockfiles, Dockerfiles and workflows."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.pins import main

HASH = "--hash=sha256:" + "0123456789abcdef" * 4
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
DIGEST = "sha256:" + "9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("flask>=3.0\ngunicorn\n")
    (tmp_path / "requirements.txt").write_text(
        f"flask==3.1.3 \\\n    {HASH}\n    # via -r requirements.in\n"
        f"gunicorn==23.0.0 {HASH}\n"
    )
    return tmp_path


def out_of(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_pinned_and_in_sync_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["requirements.txt", "requirements.in"]) == 0
    assert out_of(capsys) == ""


@pytest.mark.parametrize(("line", "needle"), [
    ("requests", "requests is not pinned to one version"),
    ("requests>=2", "requests is not pinned to one version"),
    ("requests==2.32.0", "requests has no --hash"),
    ("-e ./local", "an editable install cannot be pinned"),
])
def test_unpinned_lines_fail(repo: Path, capsys: pytest.CaptureFixture[str], line: str,
                             needle: str) -> None:
    with (repo / "requirements.txt").open("a") as handle:
        handle.write(line + "\n")
    assert main(["requirements.txt"]) == 1
    assert f"requirements.txt:5: error: {needle}" in out_of(capsys)


def test_requirement_missing_from_the_lockfile(repo: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements.in").write_text("flask>=3.0\ngunicorn\nhttpx\n")
    assert main(["requirements.in"]) == 1
    assert ("requirements.in:3: error: httpx is not in requirements.txt: run `microgate lock`"
            in out_of(capsys))


def test_lockfile_version_outside_the_range(repo: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements.in").write_text("flask>=4\ngunicorn\n")
    assert main(["requirements.in"]) == 1
    assert "requirements.txt pins flask==3.1.3, which requirements.in does not allow" in \
        out_of(capsys)


def test_included_requirements_are_followed(repo: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements-dev.in").write_text("-r requirements.in\npytest\n")
    (repo / "requirements-dev.txt").write_text(f"flask==3.1.3 {HASH}\npytest==8.3.0 {HASH}\n")
    assert main(["requirements-dev.in"]) == 1
    assert "requirements.in:2: error: gunicorn is not in requirements-dev.txt" in out_of(capsys)


def test_missing_lockfile(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements.txt").unlink()
    assert main(["requirements.in"]) == 1
    assert "requirements.txt is missing: run `microgate lock`" in out_of(capsys)


def test_dockerfile_needs_digests(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "Dockerfile").write_text(
        f"FROM python:3.11-slim@{DIGEST} AS build\n"
        "FROM build\n"
        "FROM scratch\n"
        "FROM --platform=linux/amd64 node:20\n"
        "ARG BASE=python\nFROM ${BASE}\n"
    )
    assert main(["Dockerfile"]) == 1
    out = out_of(capsys)
    assert "Dockerfile:4: error: FROM node:20 is not pinned: add @sha256:<digest>" in out
    assert "Dockerfile:6: error: FROM ${BASE} is decided at build time" in out
    assert "Dockerfile:1" not in out and "Dockerfile:2" not in out and "Dockerfile:3" not in out


def test_actions_need_commit_shas(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "jobs:\n  build:\n    steps:\n"
        f"      - uses: actions/checkout@{SHA} # v4.2.2\n"
        "      - uses: actions/setup-python@v5\n"
        "      - uses: ./.github/actions/local\n"
        "      - uses: 'docker://alpine:3.20'\n"
        "      - name: x\n        uses: org/repo/.github/workflows/w.yml@main\n"
    )
    assert main([".github/workflows/ci.yml"]) == 1
    out = out_of(capsys)
    assert "ci.yml:5: error: actions/setup-python@v5 is not pinned to a commit" in out
    assert "ci.yml:7: error: docker://alpine:3.20 is not pinned" in out
    assert "ci.yml:9: error: org/repo/.github/workflows/w.yml@main" in out
    assert "ci.yml:4" not in out and "ci.yml:6" not in out


def test_pip_installs_in_ci_need_hashes_or_a_commit(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    action = repo / ".github" / "actions" / "tools" / "action.yml"
    action.parent.mkdir(parents=True)
    action.write_text(
        "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: |\n"
        "        python -m pip install --require-hashes -r ci-tools.txt\n"
        f'        pip install --no-deps "microgate @ git+https://example.com/m.git@{SHA}"\n'
        "        pip install --no-deps .\n"
        "        pip install pre-commit  # the usual way\n"
        '        pip install --no-deps "microgate @ git+https://example.com/m.git@v1"\n'
        "        pip3 install -e .\n"
        "        echo pip installs nothing here\n")
    assert main([".github/actions/tools/action.yml"]) == 1
    out = out_of(capsys)
    assert "action.yml:9: error: pip install pre-commit: installs whatever the index " \
        "serves that day" in out
    assert "action.yml:10: error: pip install --no-deps microgate @ " in out
    assert "action.yml:11: error: pip install -e .:" in out
    assert not any(f"action.yml:{n}:" in out for n in (6, 7, 8, 12))


def test_non_utf8_and_binary_lockfiles(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "requirements.txt").write_bytes(b"flask==3.1.3 \xff\xfe\n")
    assert main(["requirements.txt"]) == 1
    assert "requirements.txt: error: not UTF-8 text" in out_of(capsys)


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip-tools' folder layout: requirements/{base,dev}.in locked to .txt beside them."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "requirements"
    folder.mkdir()
    (folder / "base.in").write_text("flask>=3.0\n")
    (folder / "base.txt").write_text(f"flask==3.1.3 \\\n    {HASH}\n    # via -r base.in\n")
    (folder / "dev.in").write_text("-r base.in\n-c base.txt\npytest\n")
    (folder / "dev.txt").write_text(f"flask==3.1.3 {HASH}\npytest==8.3.4 {HASH}\n")
    return tmp_path


LAYOUT_FILES = ["requirements/base.in", "requirements/base.txt", "requirements/dev.in",
                "requirements/dev.txt"]


def test_a_requirements_folder_in_sync_passes(layout: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(LAYOUT_FILES) == 0, out_of(capsys)


@pytest.mark.parametrize(("name", "edit", "needle"), [
    ("requirements/dev.txt", lambda t: t.replace(f"pytest==8.3.4 {HASH}", "pytest==8.3.4"),
     "requirements/dev.txt:2: error: pytest has no --hash"),
    ("requirements/base.txt", lambda t: t.replace("flask==3.1.3", "flask>=3.1.3"),
     "requirements/base.txt:1: error: flask is not pinned to one version"),
    ("requirements/dev.in", lambda t: t + "httpx\n",
     "requirements/dev.in:4: error: httpx is not in requirements/dev.txt"),
])
def test_each_mutation_of_a_requirements_folder_is_caught(
        layout: Path, capsys: pytest.CaptureFixture[str], name: str, edit: object,
        needle: str) -> None:
    path = layout / name
    path.write_text(edit(path.read_text()))  # type: ignore[operator]
    assert main([name]) == 1
    assert needle in out_of(capsys)


def test_a_lockfile_included_by_another_is_checked_and_includes_stay_inside(
        layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (layout / "requirements" / "prod.txt").write_text(
        f"-r locked-extra.txt\ngunicorn==23.0 {HASH}\n")
    (layout / "requirements" / "locked-extra.txt").write_text("uvicorn==0.30.0\n")
    (layout / "requirements" / "ci.in").write_text("-c ../../outside.txt\npytest\n")
    (layout / "requirements" / "ci.txt").write_text(f"pytest==8.3.4 {HASH}\n")
    assert main(["requirements/prod.txt", "requirements/ci.in"]) == 1
    out = out_of(capsys)
    assert "requirements/locked-extra.txt:1: error: uvicorn has no --hash" in out
    assert "requirements/ci.in:1: error: this -r/-c include points outside the repo" in out


def test_workflow_service_and_container_images_need_digests(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "jobs:\n  test:\n    container: python:3.12\n    services:\n      db:\n"
        "        image: postgres:16\n      cache:\n"
        f"        image: redis:7@{DIGEST}\n"
        "      other:\n        image: ${{ matrix.image }}\n"
        f"    steps:\n      - uses: actions/checkout@{SHA}\n")
    assert main([".github/workflows/ci.yml"]) == 1
    out = out_of(capsys)
    assert "ci.yml:3: error: python:3.12 (a job's container) is not pinned" in out
    assert "ci.yml:6: error: postgres:16 (a service or container image) is not pinned" in out
    assert "ci.yml:8" not in out and "ci.yml:10" not in out


UV_LOCK = f'''version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [{{ name = "flask" }}]

[[package]]
name = "flask"
version = "3.1.3"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files.example/flask-3.1.3.tar.gz", hash = "{DIGEST}" }}
wheels = [{{ url = "https://files.example/flask-3.1.3-py3-none-any.whl", hash = "{DIGEST}" }}]
'''

PYLOCK = f'''lock-version = "1.0"
created-by = "pip"

[[packages]]
name = "flask"
version = "3.1.3"
wheels = [{{ name = "flask-3.1.3-py3-none-any.whl", hashes = {{ sha256 = "{DIGEST[7:]}" }} }}]
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n    "flask>=3",\n]\n')
    return tmp_path


@pytest.mark.parametrize("lockfile, text", [("uv.lock", UV_LOCK), ("pylock.toml", PYLOCK)])
def test_a_toml_lockfile_in_sync_with_pyproject_passes(
        project: Path, capsys: pytest.CaptureFixture[str], lockfile: str, text: str) -> None:
    (project / lockfile).write_text(text)
    assert main(["pyproject.toml", lockfile]) == 0, out_of(capsys)


@pytest.mark.parametrize("lockfile, text, needle", [
    ("uv.lock", UV_LOCK.replace(f'sdist = {{ url = "https://files.example/flask-3.1.3.tar.gz", '
                                f'hash = "{DIGEST}" }}\n', "").replace(
        f', hash = "{DIGEST}" }}]', " }]"), "uv.lock:10: error: flask==3.1.3 has no artifact hash"),
    ("pylock.toml", PYLOCK.replace('version = "3.1.3"\n', ""),
     "pylock.toml:4: error: flask has no version"),
])
def test_a_toml_lockfile_without_hashes_or_versions_fails(
        project: Path, capsys: pytest.CaptureFixture[str], lockfile: str, text: str,
        needle: str) -> None:
    (project / lockfile).write_text(text)
    assert main([lockfile]) == 1
    assert needle in out_of(capsys)


def test_pyproject_dependencies_must_be_locked_and_in_the_lock(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pyproject.toml"]) == 1
    assert "[project] dependencies are not locked" in out_of(capsys)
    (project / "uv.lock").write_text(UV_LOCK)
    text = (project / "pyproject.toml").read_text().replace('"flask>=3",', '"flask>=3",\n'
                                                             '    "httpx",')
    (project / "pyproject.toml").write_text(text)
    assert main(["pyproject.toml"]) == 1
    assert "pyproject.toml:6: error: httpx is not in uv.lock: re-lock" in out_of(capsys)
