"""What the exported cookiecutter template runs before and after it renders.

``microgate template export --cookiecutter`` copies this module, unchanged, into the
template's ``hooks/pre_gen_project.py`` and ``hooks/post_gen_project.py``, followed by
the values cookiecutter fills in. It runs wherever cookiecutter runs (a laptop, the
Backstage scaffolder's container) where microgate is not installed, so it needs only
the standard library and PyYAML (a cookiecutter dependency), and it holds no Jinja
syntax of its own.

Before rendering it checks the answers with the same JSON Schema as the Backstage form
plus the expiry window; after rendering it puts the files with conditional names in
place and writes copier's answers file, so that ``microgate update`` works on the repo.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ANNOTATIONS = {"$schema", "title", "description", "default", "examples"}
FALSE_WORDS = {"", "false", "no", "off", "n", "0", "none", "null", "~"}
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "object": (dict,),
    "array": (list,),
    "boolean": (bool,),
}


def _is_type(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if isinstance(value, bool) and name != "boolean":
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, JSON_TYPES[name])


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def schema_problems(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Check ``value`` against the draft-07 keywords the question schema uses."""
    label = where or "the answers"
    hint = f" ({schema['description']})" if schema.get("description") else ""
    unknown = set(schema) - ANNOTATIONS - {
        "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "format", "required", "properties",
        "additionalProperties", "propertyNames", "items", "allOf", "if", "then", "else",
    }
    if unknown:
        raise ValueError(f"unsupported schema keywords: {', '.join(sorted(unknown))}")
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, name) for name in names):
            return [f"{label}: {_shown(value)} is not {' or '.join(names)}{hint}"]
    problems: list[str] = []
    if "enum" in schema and not any(
        value == option and type(value) is type(option) or
        (_is_type(value, "number") and _is_type(option, "number") and value == option)
        for option in schema["enum"]
    ):
        choices = ", ".join(_shown(option) for option in schema["enum"])
        problems.append(f"{label}: {_shown(value)} is not one of {choices}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{label}: must be {_shown(schema['const'])}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{label}: {_shown(value)} is not valid{hint}")
        if len(value) < schema.get("minLength", 0):
            problems.append(f"{label}: {_shown(value)} is too short{hint}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{label}: {_shown(value)} is too long{hint}")
        if schema.get("format") == "date" and not _is_date(value):
            problems.append(f"{label}: {_shown(value)} is not a date; write it as YYYY-MM-DD")
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{label}: {value} is less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{label}: {value} is more than the most allowed, "
                            f"{schema['maximum']:g}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            problems.append(f"{label}: {value} must be more than {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            problems.append(f"{label}: {value} must be less than {schema['exclusiveMaximum']}")
    if isinstance(value, dict):
        prefix = f"{where}." if where else ""
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{prefix}{key}: is required")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if "propertyNames" in schema:
                problems += schema_problems(key, schema["propertyNames"], f"{prefix}{key} (name)")
            if key in properties:
                problems += schema_problems(item, properties[key], f"{prefix}{key}")
            elif extra is False:
                problems.append(f"{prefix}{key}: is not a known question")
            elif isinstance(extra, dict):
                problems += schema_problems(item, extra, f"{prefix}{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for position, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{where}[{position}]")
    for part in schema.get("allOf", []):
        problems += schema_problems(value, part, where)
    if "if" in schema:
        branch = "then" if not schema_problems(value, schema["if"], where) else "else"
        if branch in schema:
            problems += schema_problems(value, schema[branch], where)
    return problems


def expiry_problem(expires: Any, tier: Any, windows: dict[str, int],
                   today: dt.date) -> str | None:
    """The expiry window JSON Schema cannot express: after today, within the tier's life."""
    if not isinstance(expires, str) or not _is_date(expires) or str(tier) not in windows:
        return None
    days_left = (dt.date.fromisoformat(expires) - today).days
    longest = windows[str(tier)]
    if days_left <= 0:
        return "expires: the expiry date must be in the future"
    if days_left > longest:
        latest = today + dt.timedelta(days=longest)
        return (f"expires: {expires} is more than {longest} days away, the longest a tier "
                f"{tier} app may live before renewal (at most {latest.isoformat()})")
    return None


def answer_problems(answers: dict[str, Any], schema: dict[str, Any],
                    windows: dict[str, int], today: dt.date | None = None,
                    typed: dict[str, Any] | None = None) -> list[str]:
    """Every reason the answers cannot make an app; empty when they can. ``typed`` holds
    what was typed, for answers that could not become numbers (None in ``answers``)."""
    typed = typed or {}
    unreadable = [f"{key}: {_shown(typed[key])} is not a number" for key, value in
                  answers.items() if value is None and typed.get(key) not in (None, "")]
    present = {key: value for key, value in answers.items() if value not in (None, "")}
    problems = unreadable + [problem for problem in schema_problems(present, schema)
                             if not any(problem.startswith(f"{key}: is required")
                                        for key in typed if answers.get(key) is None)]
    late = expiry_problem(present.get("expires"), present.get("tier"), windows,
                          today or dt.date.today())
    return problems + ([late] if late else [])


def is_true(rendered: str) -> bool:
    """A rendered ``when:`` expression, read the way copier reads it."""
    return rendered.strip().lower() not in FALSE_WORDS


def place_files(project: Path, placed: dict[str, str], holding: str) -> None:
    """Move each file held under a neutral name to its rendered path; a path with an
    empty part (a false condition) means the file is not wanted."""
    for held, rendered in placed.items():
        source = project / holding / held
        parts = rendered.split("/")
        if any(not part.strip() for part in parts):
            source.unlink(missing_ok=True)
            continue
        target = project.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
    shutil.rmtree(project / holding, ignore_errors=True)


def answers_text(header: str, answers: dict[str, Any], src_path: str,
                 commit: str | None) -> str:
    """copier's answers file, byte for byte as copier's ``to_nice_yaml`` writes it."""
    import yaml

    recorded: dict[str, Any] = {"_src_path": src_path, **answers}
    if commit:
        recorded["_commit"] = commit
    return header + yaml.safe_dump(recorded, indent=4, allow_unicode=True,
                                   default_flow_style=False)


def run(stage: str, export: dict[str, Any], project: Path | None = None) -> int:
    project = project or Path.cwd()
    answers: dict[str, Any] = export["answers"]
    if stage == "pre":
        problems = answer_problems(answers, export["schema"], export["expiry_windows"],
                                   typed=export["typed"])
        for problem in problems:
            print(f"microgate: {problem}", file=sys.stderr)
        if problems:
            print("microgate: nothing was generated; answer again with the values above "
                  "corrected", file=sys.stderr)
        return 1 if problems else 0
    place_files(project, export["placed"], export["holding"])
    recorded = {key: value for key, value in answers.items()
                if is_true(export["asked"].get(key, "true"))}
    target = project / export["answers_file"]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        answers_text(export["answers_header"], recorded, export["src_path"], export["commit"]),
        encoding="utf-8",
    )
    print(f"Created {answers.get('name', project.name)}. Next: git init, then run "
          "'microgate lock' (pinned dependencies) and 'pre-commit install' in it.")
    return 0


def forget_rendered_copy(script: str) -> None:
    """Remove the copy of this hook cookiecutter ran: it renders each hook, the answers
    filled in, to a temporary file that it never removes (one per hook and project)."""
    path = Path(script).resolve()
    if path.parent == Path(tempfile.gettempdir()).resolve() and path.name.startswith("tmp"):
        path.unlink(missing_ok=True)
