"""Tagged releases of the micro-app template in a temporary git repo, for update tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from testing.util import REPO_ROOT, git

TEMPLATE = REPO_ROOT / "templates" / "microapp"
INNER = Path("template")


def template_repo(dest: Path) -> Path:
    """A git repo holding the bundled template, released as v1.0.0."""
    shutil.copytree(TEMPLATE, dest)
    git(dest, "init", "--quiet", "--initial-branch=main")
    release(dest, "v1.0.0", "Release 1.0.0")
    return dest


def release(template: Path, tag: str, message: str,
            change: Callable[[Path], None] | None = None) -> None:
    if change is not None:
        change(template)
    git(template, "add", "--all")
    git(template, "-c", "user.name=Platform team", "-c", "user.email=platform@example.com",
        "commit", "--quiet", "--allow-empty", "-m", message)
    git(template, "tag", tag)


def edit(template: Path, relative: str, old: str, new: str) -> None:
    path = template / INNER / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


def schema_2_release(template: Path) -> None:
    """v2: the manifest's cost_center becomes billing_code, with a copier migration."""
    edit(template, "microapp.yaml.jinja", "schema_version: 1", "schema_version: 2")
    edit(template, "microapp.yaml.jinja", "cost_center: '{{ cost_center",
         "billing_code: '{{ cost_center")
    with (template / "copier.yml").open("a") as handle:
        handle.write(
            "\n_migrations:\n"
            "  - version: v2.0.0\n"
            "    when: \"{{ _stage == 'before' }}\"\n"
            "    command: [\"{{ _copier_python }}\", \"-m\", \"scaffold\", \"manifest\", "
            "\"migrate\", \"--to\", \"2\"]\n"
            # copier merges from git's index, so the migrated manifest must be staged.
            "  - version: v2.0.0\n"
            "    when: \"{{ _stage == 'before' }}\"\n"
            "    command: [git, add, microapp.yaml]\n")


def minor_release(template: Path) -> None:
    """v1.1.0: a script gains a line, the app's own code changes (never to reach a repo:
    _skip_if_exists), and a file is deleted."""
    edit(template, "scripts/healthcheck.sh", "#!/usr/bin/env bash",
         "#!/usr/bin/env bash\n# Checked by the platform's v1.1 health probe.")
    edit(template, "app/core.py", '"""The app', '# template v1.1\n"""The app')
    (template / INNER / "prompts" / "README.md").unlink()


def policy_release(template: Path) -> None:
    """v1.2.0: a new module without a test, so the test-presence policy fails after it."""
    (template / INNER / "app" / "helpers.py").write_text(
        "def slugify(text: str) -> str:\n    return text.lower().replace(' ', '-')\n")


def released_template(dest: Path) -> Path:
    """v1.0.0, v1.1.0, v1.2.0 and v2.0.0 of the template, tagged."""
    template = template_repo(dest)
    release(template, "v1.1.0", "Release 1.1.0", minor_release)
    release(template, "v1.2.0", "Release 1.2.0", policy_release)
    release(template, "v2.0.0", "Release 2.0.0: manifest schema 2", schema_2_release)
    return template
