"""The copier template in other engines' formats: cookiecutter, and Backstage on top of it.

The export is mechanical, so it cannot drift from the copier template by hand:

- every copier question becomes a cookiecutter variable (choices as choice lists, lists
  of named objects as ``{name: {...}}`` mappings), with the wizard's wording as its
  prompt; values microgate takes from the platform's policies become private variables;
- each ``.jinja`` file gets a one-line header of ``{% set %}`` tags that turns
  ``cookiecutter.x`` back into the ``x`` (with copier's types) the file was written
  for, so its text is rendered unchanged; other files are copied without rendering;
- files whose names hold conditions (``{% if ... %}Dockerfile{% endif %}``) are held
  under neutral names and put in place (or dropped) by the post-generation hook,
  which also writes ``.copier-answers.yml`` exactly as copier would;
- the pre-generation hook refuses answers the wizard would refuse.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold.errors import MicrogateError, UnsafeTemplateError, UsageError
from scaffold.generation.formschema import (
    QUESTION_TITLES,
    expiry_windows,
    mapping_form,
    question_schema,
    to_mapping_form,
)
from scaffold.generation.render import policy_values, resolve_template, scratch_beside
from scaffold.gitops import git
from scaffold.platform import cookiecutter_hook
from scaffold.policy import TierPolicy, default_policy

PROJECT_DIR = "{{cookiecutter.name}}"
HOLDING_DIR = ".microgate-export"
ANSWERS_PATH = re.compile(r"^\{\{\s*_copier_conf\.answers_file\s*\}\}$")
ANSWERS_TEMPLATE = re.compile(
    r"^(?P<header>(?:[^{]|\{(?![{%#]))*)\{\{\s*_copier_answers\s*\|\s*to_nice_yaml\s*-?\}\}\s*$",
    re.DOTALL,
)
JINJA_IN_NAME = re.compile(r"\{[{%#]")
DEFAULT_EXCLUDE = ("copier.yaml", "copier.yml", "~*", "*.py[co]", "__pycache__", ".git",
                   ".DS_Store", ".svn")


@dataclass
class CopierTemplate:
    """A copier template checked out at one release."""

    root: Path
    config: dict[str, Any]
    src_path: str
    commit: str | None

    @property
    def questions(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for key, spec in self.config.items():
            if key.startswith("_"):
                continue
            result[key] = dict(spec) if isinstance(spec, dict) else {"default": spec}
        return result

    @property
    def content_dir(self) -> Path:
        return self.root / str(self.config.get("_subdirectory", ""))

    @property
    def suffix(self) -> str:
        return str(self.config.get("_templates_suffix", ".jinja"))

    @property
    def answers_file(self) -> str:
        return str(self.config.get("_answers_file", ".copier-answers.yml"))


def latest_release(repo: Path) -> str | None:
    from packaging.version import InvalidVersion, Version

    releases: list[tuple[Version, str]] = []
    for tag in git(repo, "tag", "--list").split():
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            releases.append((version, tag))
    return max(releases)[1] if releases else None


@contextmanager
def open_template(source: str | None, vcs_ref: str | None = None) -> Iterator[CopierTemplate]:
    """Check out ``source`` (microgate's bundled template by default) as copier would:
    a git template at ``vcs_ref`` or its latest release, a plain folder as it is."""
    resolved, _ = resolve_template(source)
    is_git = "://" in resolved or resolved.startswith("git@") or (Path(resolved) / ".git").exists()
    if not is_git:
        if vcs_ref:
            raise UsageError(f"{resolved} is not a git repo, so it has no --vcs-ref {vcs_ref}")
        yield CopierTemplate(Path(resolved), _read_config(Path(resolved)), resolved, None)
        return
    scratch = Path(tempfile.mkdtemp(prefix="microgate-export-"))
    try:
        checkout = scratch / "template"
        git(scratch, "clone", "--quiet", "--no-checkout", resolved, str(checkout))
        ref = vcs_ref or latest_release(checkout) or "HEAD"
        try:
            git(checkout, "checkout", "--quiet", ref)
        except MicrogateError:
            raise UsageError(f"{resolved} has no release or commit called {ref}") from None
        commit = git(checkout, "describe", "--tags", "--always").strip()
        yield CopierTemplate(checkout, _read_config(checkout), resolved, commit)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _read_config(root: Path) -> dict[str, Any]:
    for name in ("copier.yml", "copier.yaml"):
        path = root / name
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise MicrogateError(f"{path}: not valid YAML: {exc}") from None
            if not isinstance(data, dict):
                raise MicrogateError(f"{path}: must be a mapping of settings and questions")
            return data
    raise UsageError(f"{root}: not a copier template (no copier.yml in it)")


@dataclass
class ExportPlan:
    """How each copier variable is written in cookiecutter's terms."""

    visible: dict[str, str] = field(default_factory=dict)  # name -> Jinja set statement
    hidden: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)  # cookiecutter.json
    asked: dict[str, str] = field(default_factory=dict)  # name -> copier `when` template

    def header(self, names: set[str] | None = None, hooks: bool = False) -> str:
        statements = {**self.visible, **({} if hooks else self.hidden)}
        return "".join(text for name, text in statements.items()
                       if names is None or name in names)


def _coerce(expression: str, schema: dict[str, Any]) -> str:
    """A Jinja expression giving ``expression`` the type ``schema`` wants (cookiecutter
    answers are strings); ``none`` when it cannot, for the pre-generation check to name."""
    kind = schema.get("type")
    if kind == "integer":
        return f"({expression} | int(none))"
    if kind == "number":
        return f"({expression} | float(none))"
    properties = schema.get("properties", {})
    if kind == "object" and properties:
        coerced = {key: _coerce(f"{expression}.{key}", sub) for key, sub in properties.items()}
        parts = ", ".join(f"{key}={value}" for key, value in coerced.items()
                          if value != f"{expression}.{key}")
        if parts:
            return f"(dict({expression}, {parts}) if {expression} is mapping else {expression})"
    return expression


def _is_named_list(schema: dict[str, Any]) -> bool:
    items = schema.get("items")
    return (schema.get("type") == "array" and isinstance(items, dict)
            and "name" in items.get("properties", {}))


def _question_value(name: str, spec: dict[str, Any], schema: dict[str, Any] | None,
                    soonest_expiry: int) -> Any:
    """The question's entry in cookiecutter.json."""
    default = spec.get("default")
    if isinstance(default, str) and JINJA_IN_NAME.search(default):
        raise MicrogateError(f"question {name}: its default is computed ({default}); the "
                             "cookiecutter export supports plain defaults only")
    choices = spec.get("choices")
    if choices is not None:
        values = list(choices.values()) if isinstance(choices, dict) else list(choices)
        ordered = [str(v) for v in values]
        if default is not None and str(default) in ordered:
            ordered.remove(str(default))
            ordered.insert(0, str(default))
        return ordered
    if schema is not None and _is_named_list(schema):
        return to_mapping_form({name: default or []}, fields=(name,))[name] or {}
    if schema is not None and schema.get("format") == "date":
        # A fixed default date would be out of bounds soon; cookiecutter's own
        # {% now %} tag gives a date inside every tier's window.
        return f"{{% now 'utc' + 'days={soonest_expiry}', '%Y-%m-%d' %}}"
    if default is None:
        return ""
    return default


def _prompt(name: str, spec: dict[str, Any], labels: dict[str, str]) -> Any:
    title = QUESTION_TITLES.get(name) or str(spec.get("help") or name)
    if not labels:
        return title
    return {"__prompt__": title, **labels}


def plan_export(template: CopierTemplate, policy: TierPolicy, *,
                hooks_repo: str | None = None, hooks_rev: str | None = None) -> ExportPlan:
    """Decide each variable's cookiecutter.json entry, prompt and Jinja header."""
    from jinja2 import Environment

    schema = question_schema(policy)["properties"]
    plan = ExportPlan()
    prompts: dict[str, Any] = {}
    by_tier = {str(tier): policy_values(tier, policy, hooks_repo=hooks_repo,
                                        hooks_rev=hooks_rev)
               for tier in sorted(policy.tiers)}
    tier_key = "(cookiecutter.tier | string)"
    soonest_expiry = min(90, *expiry_windows(policy).values())
    choice_labels = _choice_labels(policy)
    for name, spec in template.questions.items():
        if spec.get("when") is False:
            if name in by_tier["0"]:
                plan.hidden[name] = (f"{{% set {name} = cookiecutter._policy.get({tier_key}, "
                                     f"{{}}).{name} %}}")
                continue
            default = spec.get("default")
            if isinstance(default, str) and JINJA_IN_NAME.search(default):
                answers = {"_commit": template.commit} if template.commit else {}
                try:
                    default = Environment().from_string(default).render(
                        _copier_answers=answers)
                except Exception as exc:  # noqa: BLE001 - any Jinja failure means the same
                    raise MicrogateError(
                        f"question {name}: its default ({spec['default']}) cannot be worked "
                        f"out for cookiecutter: {exc}") from None
            plan.context[f"_{name}"] = default
            plan.hidden[name] = f"{{% set {name} = cookiecutter._{name} %}}"
            continue
        field_schema = schema.get(name)
        plan.context[name] = _question_value(name, spec, field_schema, soonest_expiry)
        labels = {str(v): str(k) for k, v in (spec.get("choices") or {}).items()} \
            if isinstance(spec.get("choices"), dict) else choice_labels.get(name, {})
        prompts[name] = _prompt(name, spec, labels)
        if isinstance(spec.get("when"), str):
            plan.asked[name] = spec["when"]
        source = f"cookiecutter.{name}"
        if field_schema is not None and _is_named_list(field_schema):
            plan.visible[name] = (
                f"{{% if {source} is mapping %}}{{% set {name} = [] %}}"
                f"{{% for _key, _value in {source}.items() %}}"
                f"{{% if {name}.append(dict(_value, name=_key) if _value is mapping else "
                f"{{'name': _key, 'value': _value}}) %}}{{% endif %}}{{% endfor %}}"
                f"{{% else %}}{{% set {name} = {source} %}}{{% endif %}}"
            )
            continue
        if field_schema is None:
            field_schema = {"type": {"int": "integer", "float": "number"}.get(
                str(spec.get("type")), "string")}
        plan.visible[name] = f"{{% set {name} = {_coerce(source, field_schema)} %}}"
    plan.context["_policy"] = by_tier
    plan.context["__prompts__"] = prompts
    return plan


def _choice_labels(policy: TierPolicy) -> dict[str, dict[str, str]]:
    """The wizard's plain-language labels for each choice."""
    from scaffold.generation import wizard

    return {
        "tier": {str(tier): f"{rule.description} (tier {tier}, up to "
                 f"${rule.max_monthly_budget_usd:g} a month)"
                 for tier, rule in sorted(policy.tiers.items())},
        "data_sensitivity": dict(wizard.SENSITIVITY_HELP),
        "runtime": dict(wizard.RUNTIME_HELP),
        "sla": dict(wizard.SLA_HELP),
        "traffic": dict(wizard.TRAFFIC_HELP),
        "ci": dict(wizard.CI_HELP),
    }


def _refuse_sandbox_escapes(tree: Any, where: str) -> None:
    """Refuse what copier's sandboxed Jinja refuses at render time.

    ``microgate new`` renders in copier's sandbox, where ``().__class__`` and
    ``'{0.__init__}'.format`` stop with an error. cookiecutter renders with no sandbox, so
    the export must refuse them up front: otherwise the exported template would run what
    the copier template could not.
    """
    from jinja2 import nodes, sandbox

    internal = {"mro", "format", "format_map"} | set(sandbox.UNSAFE_FUNCTION_ATTRIBUTES) \
        | set(sandbox.UNSAFE_METHOD_ATTRIBUTES) | set(sandbox.UNSAFE_GENERATOR_ATTRIBUTES) \
        | set(sandbox.UNSAFE_COROUTINE_ATTRIBUTES) \
        | set(sandbox.UNSAFE_ASYNC_GENERATOR_ATTRIBUTES)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Const)):
        name: object = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Const) and isinstance(node.value, str) and \
                "__" in node.value:
            name = node.value
        if not isinstance(name, str):
            continue
        if name.startswith("_") or "__" in name or name in internal:
            raise UnsafeTemplateError(
                f"{where}:{node.lineno}: reaches into {name!r}, which copier's sandbox "
                "refuses; cookiecutter has none, so the template is not exported")


def _used_names(text: str, where: str, known: set[str]) -> set[str]:
    """The template variables ``text`` uses; refuses copier-only names and filters."""
    from jinja2 import Environment, TemplateSyntaxError, meta, nodes

    env = Environment()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        raise MicrogateError(f"{where}:{exc.lineno}: not valid Jinja: {exc.message}") from None
    _refuse_sandbox_escapes(tree, where)
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        table = env.filters if isinstance(node, nodes.Filter) else env.tests
        if node.name not in table:
            raise MicrogateError(
                f"{where}: uses the {node.name} filter, which only copier has; use a "
                "standard Jinja filter so that cookiecutter can render it too")
    used = meta.find_undeclared_variables(tree)
    foreign = sorted(used - known - set(env.globals))
    if foreign:
        raise MicrogateError(f"{where}: uses {', '.join(foreign)}, which cookiecutter "
                             "cannot provide")
    return used & known


def _hook_source(plan: ExportPlan, stage: str, placed: dict[str, str],
                 static: dict[str, Any]) -> str:
    module = Path(cookiecutter_hook.__file__).read_text(encoding="utf-8")
    captured = "".join(
        f"{{% set _when_{name} %}}{when}{{% endset %}}" for name, when in plan.asked.items()
    ) + "".join(
        f"{{% set _path_{index} %}}{path}{{% endset %}}"
        for index, path in enumerate(placed.values())
    )
    names = list(plan.visible)
    dynamic = (
        "{{ {'answers': {" + ", ".join(f"'{name}': {name}" for name in names) + "}, "
        "'typed': {" + ", ".join(f"'{name}': cookiecutter.{name}" for name in names) + "}, "
        "'asked': {" + ", ".join(f"'{name}': _when_{name}" for name in plan.asked) + "}, "
        "'placed': {" + ", ".join(f"{json.dumps(held)}: _path_{index}"
                                  for index, held in enumerate(placed)) + "}} "
        "| tojson | tojson }}"
    )
    return (
        "#!/usr/bin/env python\n"
        f"# {stage}-generation hook written by 'microgate template export'; re-export "
        "instead of editing it.\n"
        + plan.header(hooks=True) + captured + "\n{% raw %}" + module + "{% endraw %}\n"
        f"EXPORT = json.loads({dynamic})\n"
        "{% raw %}"
        f"EXPORT.update(json.loads({json.dumps(json.dumps(static, sort_keys=True))}))\n"
        "{% endraw %}\n"
        'if __name__ == "__main__":\n'
        "    try:\n"
        f'        sys.exit(run("{stage}", EXPORT))\n'
        "    finally:\n"
        "        forget_rendered_copy(__file__)\n"
    )


@dataclass
class ExportResult:
    path: Path
    files: int
    held: int
    commit: str | None
    notes: list[str] = field(default_factory=list)


def _fresh_destination(dest: Path) -> Path:
    dest = dest.expanduser().absolute()
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is a file, not a folder; choose another place")
    if dest.is_dir() and any(dest.iterdir()):
        raise UsageError(f"{dest} is not empty; choose a new or empty folder")
    return dest


def _write_cookiecutter(template: CopierTemplate, work: Path, policy: TierPolicy,
                        hooks_repo: str | None, hooks_rev: str | None,
                        trust: bool = False) -> ExportResult:
    config = template.config
    if config.get("_tasks"):
        raise MicrogateError("the template runs _tasks after copying; cookiecutter cannot "
                             "run them, so it cannot be exported")
    envops = dict(config.get("_envops") or {})
    if "undefined" in envops:
        raise MicrogateError("the template sets _envops.undefined, which cookiecutter "
                             "cannot follow")
    plan = plan_export(template, policy, hooks_repo=hooks_repo, hooks_rev=hooks_rev)
    known = set(plan.visible) | set(plan.hidden)
    content = template.content_dir
    if not content.is_dir():
        raise MicrogateError(f"the template's _subdirectory {content} is missing")
    import pathspec

    excluded = pathspec.PathSpec.from_lines(
        "gitwildmatch",
        config.get("_exclude") or (DEFAULT_EXCLUDE if content == template.root else ()))
    project = work / PROJECT_DIR
    project.mkdir(parents=True)
    copy_only: list[str] = []
    placed: dict[str, str] = {}
    answers_header: str | None = None
    files = 0
    for source in sorted(p for p in content.rglob("*") if p.is_file() or p.is_symlink()):
        relative = source.relative_to(content).as_posix()
        if excluded.match_file(relative):
            continue
        is_template = not template.suffix or relative.endswith(template.suffix)
        path_template = relative[: -len(template.suffix)] if is_template and template.suffix \
            else relative
        if ANSWERS_PATH.match(path_template):
            match = ANSWERS_TEMPLATE.match(source.read_text(encoding="utf-8"))
            if not match:
                raise MicrogateError(f"{relative}: the answers file must be written as "
                                     "'{{ _copier_answers | to_nice_yaml -}}' to be exported")
            answers_header = match.group("header")
            continue
        if JINJA_IN_NAME.search(path_template):
            _used_names(path_template, relative, known)
            stem = re.sub(r"\{[{%#].*?[}%#]\}", "", path_template.rsplit("/", 1)[-1]) or "file"
            held = f"{len(placed):02d}-{stem}"
            placed[held] = path_template
            target = project / HOLDING_DIR / held
            pattern_path = f"{HOLDING_DIR}/{held}"
        else:
            target = project / path_template
            pattern_path = path_template
        target.parent.mkdir(parents=True, exist_ok=True)
        files += 1
        if not is_template:
            shutil.copy2(source, target)
            copy_only.append(re.sub(r"([*?\[])", r"[\1]", pattern_path))
            continue
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise MicrogateError(f"{relative}: a template file must be UTF-8 text") from None
        used = _used_names(text, relative, known)
        target.write_text(plan.header(used) + text, encoding="utf-8", newline="")
        shutil.copymode(source, target)
    if answers_header is None:
        raise MicrogateError("the template writes no answers file ({{ _copier_conf."
                             "answers_file }}.jinja), so its apps could not be updated")
    context = {
        **plan.context,
        "_copy_without_render": copy_only,
        "_microgate": {"src_path": template.src_path, "commit": template.commit},
    }
    if envops:
        context["_jinja2_env_vars"] = envops
    if config.get("_jinja_extensions"):
        if not trust:
            raise UnsafeTemplateError(
                "the template loads Jinja extensions (_jinja_extensions), which run code: "
                "if you trust it, export again with --trust")
        context["_extensions"] = list(config["_jinja_extensions"])
    (work / "cookiecutter.json").write_text(json.dumps(context, indent=2) + "\n",
                                            encoding="utf-8")
    static = {
        "schema": question_schema(policy),
        "expiry_windows": expiry_windows(policy),
        "holding": HOLDING_DIR,
        "answers_file": template.answers_file,
        "answers_header": answers_header,
        "src_path": template.src_path,
        "commit": template.commit,
    }
    hooks = work / "hooks"
    hooks.mkdir()
    for stage in ("pre", "post"):
        path = hooks / f"{stage}_gen_project.py"
        path.write_text(_hook_source(plan, stage, placed, static), encoding="utf-8")
        path.chmod(0o755)
    result = ExportResult(work, files, len(placed), template.commit)
    if template.commit is None:
        result.notes.append(
            "the template is not a git repo, so apps made from this export record no "
            "release and 'microgate update' cannot bring them along; export a tagged "
            "template (--template URL --vcs-ref TAG) for that")
    return result


def export_cookiecutter(dest: Path, *, template: str | None = None,
                        vcs_ref: str | None = None, policy: TierPolicy | None = None,
                        hooks_repo: str | None = None,
                        hooks_rev: str | None = None, trust: bool = False) -> ExportResult:
    """Write a cookiecutter template equivalent to the copier one into ``dest``."""
    dest = _fresh_destination(dest)
    policy = policy or default_policy()
    with open_template(template, vcs_ref) as source, scratch_beside(dest, "export") as work:
        result = _write_cookiecutter(source, work, policy, hooks_repo, hooks_rev, trust)
        _move_into_place(work, dest)
        result.path = dest
        return result


def _move_into_place(work: Path, dest: Path) -> None:
    if dest.is_dir():
        dest.rmdir()
    os.replace(work, dest)


def cookiecutter_context(answers: dict[str, Any]) -> dict[str, Any]:
    """Manifest-shaped answers as cookiecutter's ``extra_context`` (or its CLI's
    ``key=value`` pairs): choices as strings, named lists as mappings."""
    values = to_mapping_form(answers)
    if "tier" in values:
        values["tier"] = str(values["tier"])
    if values.get("approver") is None:
        values.pop("approver", None)
    return values


def form_schema(policy: TierPolicy) -> dict[str, Any]:
    """The question schema in the shape cookiecutter and Backstage pass values around."""
    return mapping_form(question_schema(policy))


# The Backstage form asks the wizard's questions over three pages; each page is its own
# JSON Schema, so the tier rules sit on the page that holds every field they name.
FORM_PAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("About the app", ("name", "purpose", "owner", "cost_center")),
    ("Who uses it, and what it may cost",
     ("tier", "approver", "data_sensitivity", "monthly_budget_usd", "expires")),
    ("How it runs", ("runtime", "schedule", "sla", "traffic", "connectors", "region", "ci",
                     "quality")),
)
BACKSTAGE_NAME = "microgate-micro-app"


def form_pages(policy: TierPolicy, defaults: dict[str, Any] | None = None) -> list[
        dict[str, Any]]:
    """The Backstage form's pages: the question schema split by :data:`FORM_PAGES`."""
    schema = form_schema(policy)
    labels = _choice_labels(policy)
    windows = expiry_windows(policy)
    pages = []
    for title, names in FORM_PAGES:
        properties: dict[str, Any] = {}
        for name in names:
            field_schema = dict(schema["properties"][name])
            if name in labels and "enum" in field_schema:
                field_schema["enumNames"] = [labels[name][str(value)]
                                             for value in field_schema["enum"]]
            if defaults and name in defaults and defaults[name] not in (None, ""):
                field_schema["default"] = defaults[name]
            properties[name] = field_schema
        properties.get("name", {})["ui:autofocus"] = True
        if "purpose" in properties:
            properties["purpose"]["ui:widget"] = "textarea"
        if "expires" in properties:
            properties["expires"]["ui:help"] = "At most " + ", ".join(
                f"{days} days ahead for tier {tier}" for tier, days in sorted(windows.items()))
        page: dict[str, Any] = {
            "title": title,
            "required": [name for name in schema["required"] if name in names],
            "properties": properties,
        }
        rules = [rule for rule in schema["allOf"]
                 if set(rule["then"].get("properties", {})) | {"tier"} <= set(names)]
        if rules:
            page["allOf"] = rules
        pages.append(page)
    pages.append({
        "title": "Where it lives",
        "required": ["repoUrl", "catalogOwner"],
        "properties": {
            "repoUrl": {"title": "Repository", "type": "string", "ui:field": "RepoUrlPicker",
                        "ui:options": {"allowedHosts": ["github.com", "gitlab.com"]}},
            "catalogOwner": {"title": "Team that owns it in the catalog", "type": "string",
                             "ui:field": "OwnerPicker",
                             "ui:options": {"catalogFilter": {"kind": "Group"}}},
        },
    })
    return pages


def backstage_template(template: CopierTemplate, policy: TierPolicy, owner: str,
                       questions: list[str]) -> dict[str, Any]:
    """The Software Template entity (scaffolder.backstage.io/v1beta3)."""
    date_fields = {name for name, field_schema in question_schema(policy)["properties"].items()
                   if field_schema.get("format") == "date"}
    defaults = to_mapping_form({
        name: spec.get("default") for name, spec in template.questions.items()
        if name not in date_fields and not (isinstance(spec.get("default"), str)
                                            and JINJA_IN_NAME.search(spec["default"]))})
    published = "steps['publish-github'].output.{0} or steps['publish-gitlab'].output.{0}"
    publish_input = {"repoUrl": "${{ parameters.repoUrl }}",
                     "description": "${{ parameters.purpose }}", "defaultBranch": "main"}
    return {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {
            "name": BACKSTAGE_NAME,
            "title": "Micro app (microgate)",
            "description": "A small internal app with an owner, a budget, an expiry date, "
                           "tests and the platform's checks on every commit.",
            "tags": ["microgate", "python", "micro-app"],
            "annotations": {
                "microgate.dev/template-source": template.src_path,
                "microgate.dev/template-release": template.commit or "unreleased",
            },
        },
        "spec": {
            "owner": owner,
            "type": "service",
            "parameters": form_pages(policy, defaults),
            "steps": [
                {"id": "fetch", "name": "Generate the app", "action": "fetch:cookiecutter",
                 "input": {"url": "./skeleton", "values": {
                     name: f"${{{{ parameters.{name} }}}}" for name in questions}}},
                {"id": "catalog", "name": "Describe it for the catalog",
                 "action": "catalog:write", "input": {"entity": {
                     "apiVersion": "backstage.io/v1alpha1",
                     "kind": "Component",
                     "metadata": {
                         "name": "${{ parameters.name }}",
                         "description": "${{ parameters.purpose }}",
                         "annotations": {
                             "microgate.dev/tier": "${{ parameters.tier }}",
                             "microgate.dev/expires": "${{ parameters.expires }}",
                             "microgate.dev/owner-email": "${{ parameters.owner }}",
                         },
                     },
                     "spec": {"type": "service", "lifecycle": "experimental",
                              "owner": "${{ parameters.catalogOwner }}"},
                 }}},
                {"id": "publish-github", "name": "Publish to GitHub",
                 "if": "${{ parameters.ci == 'github' }}", "action": "publish:github",
                 "input": publish_input},
                {"id": "publish-gitlab", "name": "Publish to GitLab",
                 "if": "${{ parameters.ci == 'gitlab' }}", "action": "publish:gitlab",
                 "input": publish_input},
                {"id": "register", "name": "Register in the catalog",
                 "action": "catalog:register",
                 "input": {"repoContentsUrl": "${{ " + published.format("repoContentsUrl")
                           + " }}", "catalogInfoPath": "/catalog-info.yaml"}},
            ],
            "output": {"links": [
                {"title": "Repository",
                 "url": "${{ " + published.format("remoteUrl") + " }}"},
                {"title": "Open in the catalog", "icon": "catalog",
                 "entityRef": "${{ steps['register'].output.entityRef }}"},
            ]},
        },
    }


def export_backstage(dest: Path, *, template: str | None = None, vcs_ref: str | None = None,
                     policy: TierPolicy | None = None, owner: str = "group:default/platform",
                     hooks_repo: str | None = None,
                     hooks_rev: str | None = None, trust: bool = False) -> ExportResult:
    """Write a Backstage Software Template: ``template.yaml`` and the cookiecutter
    export as its ``skeleton/``, for the ``fetch:cookiecutter`` action."""
    dest = _fresh_destination(dest)
    policy = policy or default_policy()
    with open_template(template, vcs_ref) as source, scratch_beside(dest, "export") as work:
        (work / "skeleton").mkdir()
        result = _write_cookiecutter(source, work / "skeleton", policy, hooks_repo, hooks_rev,
                                     trust)
        context = json.loads((work / "skeleton" / "cookiecutter.json").read_text("utf-8"))
        questions = [name for name in context if not name.startswith("_")]
        entity = backstage_template(source, policy, owner, questions)
        (work / "template.yaml").write_text(
            yaml.safe_dump(entity, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8")
        _move_into_place(work, dest)
        result.path = dest
        return result
