"""Infrastructure checks: checkov (its own checks plus policies/checkov), and the rules
checkov's YAML policies cannot express, done here on the same parser's reading:

- every root module that creates resources has an ``aws_budgets_budget``;
- no IAM policy allows a wildcard action (``*``, ``s3:*``) or ``*`` as the resource
  (a KMS key's own policy excepted: there ``*`` means "this key");
- Lambda and Fargate sizes within the caps of the app's tier, judged on the value the
  resource gets (literal, variable default, tfvars, module argument or AWS's default).

checkov runs once for the whole scan (it walks nested folders itself), and each finding
is reported once, with a file and a line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from scaffold import parsecache, yamlio
from scaffold.engines.terraform import (
    END_LINE,
    Module,
    Resource,
    Setting,
    error_line,
    load_module,
    local_module_sources,
    parse_file,
    read_source,
    resources,
    scan_root,
    terraform_folders,
    tf_files,
)
from scaffold.errors import MicrogateError
from scaffold.resources import policies_dir

if TYPE_CHECKING:
    from scaffold.engines.checkovserver import ForkedScan

CHECKOV_TIMEOUT_SECONDS = 900
INLINE_WILDCARD_ACTION = re.compile(
    r'"?Action"?\s*[=:]\s*(\[[^\]]*"[^"]*\*[^"]*"[^\]]*\]|"[^"]*\*[^"]*")')
INLINE_WILDCARD_RESOURCE = re.compile(r'"?Resource"?\s*[=:]\s*(\[\s*"\*"\s*\]|"\*")')
KMS_KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key",
                 "aws_kms_replica_external_key")
# Actions AWS authorises only on "*" (no resource-level permissions): a statement of
# nothing else cannot name its resources.
ONLY_ON_EVERY_RESOURCE = re.compile(
    r"^(xray:[A-Za-z*]+|[a-z0-9-]+:(List|Describe)[A-Za-z*]*|cloudwatch:PutMetricData"
    r"|sts:GetCallerIdentity|ecr:GetAuthorizationToken|tag:GetResources"
    r"|ce:Get[A-Za-z]*|budgets:ViewBudget)$")
ACTION_NAME = re.compile(r'"([a-z0-9-]+:[A-Za-z0-9*]+)"')


@dataclass(frozen=True)
class IacFinding:
    path: Path
    line: int
    rule: str
    message: str


@dataclass
class IacReport:
    findings: list[IacFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def skipped_checks() -> dict[str, str]:
    path = policies_dir() / "checkov-skips.yaml"
    try:
        skips = yamlio.load(path.read_text(encoding="utf-8"))["skip"]
        return {str(k): str(v) for k, v in skips.items()}
    except (OSError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise MicrogateError(f"{path}: not a valid list of skipped checks: {exc}") from None


# -- checkov ----------------------------------------------------------------------------

# checkov's Terraform runner, run by the Python of checkov's own environment, its output
# in the shape of checkov's JSON report. Unlike checkov's command it starts no other
# framework (~1.2 s less) and reads no configuration file: a .checkov.yaml in the repo
# under check would otherwise choose which checks run. The libraries checkov imports for
# its other frameworks, its platform and the network are loaded when first used, if ever
# (Python's LazyLoader; ~0.2 s of its ~1.5 s start). The prelude is what a scan needs
# before it reads anything: the driver runs one scan after it; the server
# (scaffold/engines/checkovserver.py) forks each scan from a process that has run it once.
CHECKOV_PRELUDE = """
import importlib.abc, importlib.util, json, os, sys
os.environ.setdefault("LOG_LEVEL", "ERROR")
LAZY = {"aiohttp", "asteval", "boto3", "botocore", "detect_secrets", "docker", "git",
        "numpy", "requests"}
class LazyFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in LAZY:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec
if not any(type(finder).__name__ == "LazyFinder" for finder in sys.meta_path):
    sys.meta_path.insert(0, LazyFinder())
from checkov.runner_filter import RunnerFilter
from checkov.terraform.runner import Runner
def scan(folder, checks, skips):
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    report = Runner().run(root_folder=folder, external_checks_dir=[checks],
                          runner_filter=RunnerFilter(framework=["terraform"],
                                                     skip_checks=skips))
    return {"results": {"failed_checks": [
        {"file_path": str(r.file_path), "file_line_range": list(r.file_line_range or []),
         "check_id": str(r.check_id), "check_name": str(r.check_name),
         "resource": str(r.resource)} for r in report.failed_checks]}}
"""
CHECKOV_DRIVER = CHECKOV_PRELUDE + """
json.dump(scan(sys.argv[1], sys.argv[2], [s for s in sys.argv[3].split(",") if s]),
          sys.stdout)
"""


def _driver_python(checkov: Path) -> Path | None:
    """The Python beside ``checkov`` (its own environment), if there is one."""
    try:
        python = checkov.resolve().parent / "python"
    except OSError:
        return None
    return python if python.is_file() else None


def checkov_command(folder: Path, checkov: Path) -> list[str]:
    """How to run checkov on ``folder``: the driver above with the Python beside
    ``checkov`` (its own environment), else checkov's command (run from a folder of no
    repo's, so that no .checkov.yaml applies)."""
    checks, skips = str(policies_dir() / "checkov"), ",".join(skipped_checks())
    python = _driver_python(checkov)
    if python is not None:
        return [str(python), "-I", "-c", CHECKOV_DRIVER, str(folder.resolve()), checks, skips]
    return [str(checkov), "--directory", str(folder.resolve()), "--framework", "terraform",
            "--skip-download", "--quiet", "--compact", "--output", "json",
            "--external-checks-dir", checks, "--skip-check", skips]


CheckovRun = Union[subprocess.Popen[str], "ForkedScan"]


def start_checkov(folder: Path, checkov: Path) -> CheckovRun:
    """checkov's scan of ``folder``, started: forked from this process's warm checkov
    server where it can be (scaffold/engines/checkovserver.py), else a process of its
    own. Read it with ``checkov_records``."""
    import tempfile

    from scaffold.engines import checkovserver

    python = _driver_python(checkov)
    try:
        if python is not None and not checkovserver.off():
            forked = checkovserver.start_scan(python, CHECKOV_PRELUDE, folder.resolve(),
                                              str(policies_dir() / "checkov"),
                                              list(skipped_checks()))
            if forked is not None:
                return forked
        return subprocess.Popen(checkov_command(folder, checkov), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                errors="replace", start_new_session=True,
                                cwd=tempfile.gettempdir())
    except OSError as exc:
        raise MicrogateError(f"checkov could not start: {exc.strerror or exc}") from None


def checkov_records(process: CheckovRun) -> list[CheckovRecord]:
    """checkov's failed checks, as it gave them (paths relative to the folder it scanned)."""
    try:
        stdout, stderr = process.communicate(timeout=CHECKOV_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise MicrogateError(f"checkov gave no answer in {CHECKOV_TIMEOUT_SECONDS} s") from None
    except BaseException:  # Ctrl-C: checkov (a session of its own) stops with microgate
        _kill_group(process)
        raise
    try:
        output: Any = json.loads(stdout)
    except ValueError:
        last = (stderr or stdout).strip().splitlines()
        code = process.returncode
        if last:
            why = last[-1]
        elif isinstance(code, int) and code < 0:
            why = f"it was stopped by signal {-code}"
        else:
            why = f"exit code {code}"
        raise MicrogateError(f"checkov failed: {why}") from None
    return _failed_checks(output)


def _failed_checks(output: Any) -> list[CheckovRecord]:
    """The failed checks of checkov's JSON report (one, or a list of them)."""
    reports = output if isinstance(output, list) else [output]
    records = []
    for report in reports:
        if not isinstance(report, dict):
            continue
        for failed in report.get("results", {}).get("failed_checks", []):
            records.append(_record(failed.get("file_path", ""), failed.get("file_line_range"),
                                   failed["check_id"], failed["check_name"],
                                   failed["resource"]))
    return records


def checkov_findings(folder: Path, process: CheckovRun) -> list[IacFinding]:
    """checkov's failed checks; ``folder`` is the one the user knows (paths are given
    relative to it, whatever folder checkov was pointed at)."""
    return [_checkov_finding(folder, record) for record in checkov_records(process)]


CheckovRecord = tuple[str, int, str, str, str]  # file, line, check id, check name, resource


def _record(file_path: Any, lines: Any, check_id: Any, name: Any, resource: Any
            ) -> CheckovRecord:
    line = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], int) \
        else 1
    return (str(file_path), max(line, 1), str(check_id), str(name), str(resource))


def _checkov_finding(folder: Path, record: CheckovRecord) -> IacFinding:
    file_path, line, check_id, name, resource = record
    return IacFinding(folder / file_path.lstrip("/"), line, check_id,
                      checkov_message(check_id, name, resource))


# How to meet microgate's own checkov policies (policies/checkov), in plain words.
POLICY_FIXES = {
    "CKV_MG_1": "keep owner, app, tier, cost-center and expires in local.tags (infra/main.tf, "
                "built from microapp.yaml) and set tags = local.tags on the resource",
    "CKV_MG_3": "add an aws_s3_bucket_public_access_block with all four settings true, and "
                "serve the files through CloudFront",
    "CKV_MG_4": "remove the acl argument (buckets are private by default)",
}


def checkov_message(check_id: str, name: str, resource: str) -> str:
    """A failed checkov check as what is wrong, the rule, and the fix: checkov's names
    are written as requirements ("Ensure that ..."), which read as if they were met."""
    requirement = re.sub(r"^\s*Ensure\s+(that\s+)?", "", name, flags=re.IGNORECASE)
    requirement = requirement.strip().rstrip(".")
    requirement = requirement[:1].upper() + requirement[1:]
    fix = POLICY_FIXES.get(check_id) or (
        f"change {resource} so that it does; if the rule cannot apply to this app, add "
        f"'# checkov:skip={check_id}: <the reason>' inside the resource for review")
    return f"{resource} does not meet {check_id}: {requirement}. Fix: {fix}"


def _kill_group(process: CheckovRun) -> None:
    """Stop checkov and every process it started (it leaves workers behind otherwise)."""
    from scaffold.processes import kill_group

    if isinstance(process, subprocess.Popen):
        kill_group(process)
        process.communicate()
    else:
        process.kill()


def checkov_importable() -> bool:
    """True in the pre-commit environment of microgate-iac, where checkov is installed."""
    import importlib.util

    return importlib.util.find_spec("checkov") is not None


def checkov_in_process(root: Path) -> list[CheckovRecord]:
    """checkov's Terraform runner, called directly with the driver's own prelude (the
    same lazy imports and scan): it skips the start-up of checkov's other frameworks,
    and makes no network call (the platform integration is never set up; a test runs it
    with sockets refused)."""
    namespace: dict[str, Any] = {"__name__": "microgate_checkov"}
    exec(CHECKOV_PRELUDE, namespace)  # noqa: S102 - microgate's own code, above
    return _failed_checks(namespace["scan"](str(root), str(policies_dir() / "checkov"),
                                            list(skipped_checks())))


# -- checkov's answers, kept by content ------------------------------------------------------

# checkov takes ~3 s to answer for a small app, and the same Terraform is scanned again and
# again: by the hook at commit, then by `microgate check`, `risk`, `doctor`, `update`.
# Its answer is kept in the user's cache (scaffold/parsecache.py) under a SHA-256 of
# everything it depends on: every file checkov may read (all of the scanned folder, whose
# files scan_root has made regular and inside it), which checkov (its files' sizes and
# times), microgate's checkov policies and skips, the driver, and checkov's settings from
# the environment. A module called from outside the folder makes the answer uncacheable.
CHECKOV_SETTINGS = ("CKV_", "CHECKOV_", "BC_", "PRISMA_", "LOG_LEVEL")
MODULE_SOURCE = re.compile(r'"?source"?\s*[=:]\s*"([^"]*)"')


def checkov_cache_key(root: Path, checkov: Path | None) -> str | None:
    """The key of checkov's answer on ``root`` (``checkov`` None: in this process), or
    None when it cannot be kept."""
    from scaffold import parsecache

    if os.environ.get("MICROGATE_NO_PARSE_CACHE"):
        return None
    parts: list[bytes] = [CHECKOV_DRIVER.encode()]
    try:
        parts.append(_checkov_stamp(checkov))
        policies = policies_dir()
        for path in sorted((policies / "checkov").rglob("*")) + [policies / "checkov-skips.yaml"]:
            if path.is_file():
                parts += [path.relative_to(policies).as_posix().encode(), path.read_bytes()]
        parts += [f"{name}={value}".encode() for name, value in sorted(os.environ.items())
                  if name.startswith(CHECKOV_SETTINGS)]
        size = 0
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            base = Path(folder)
            for name in sorted(names):
                path = base / name
                if path.is_symlink() or not path.is_file():
                    return None
                data = path.read_bytes()
                size += len(data)
                if size > parsecache.MAX_CACHED_BYTES or _reads_outside(root, path, data):
                    return None
                parts += [b"\1" + path.relative_to(root).as_posix().encode(), data]
    except (OSError, ValueError):
        return None
    return parsecache.entry_key("checkov", b"\0".join(parts))


def _checkov_stamp(checkov: Path | None) -> bytes:
    """Which checkov answers: its files' paths, sizes and modification times (a reinstall
    or an upgrade rewrites them)."""
    if checkov is None:
        from importlib.util import find_spec

        spec = find_spec("checkov")
        if spec is None or not spec.origin:
            raise ValueError("checkov")
        files = [Path(spec.origin), Path(spec.origin).with_name("version.py")]
    else:
        executable = checkov.resolve()
        files = [executable, executable.parent / "python",
                 *executable.parent.parent.glob("lib/python*/site-packages/checkov/version.py")]
    stamps = []
    for file in files:
        if file.exists():
            stat = file.stat()
            stamps.append(f"{file.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    if not stamps:
        raise ValueError("no checkov to identify")
    return "\n".join(["in-process" if checkov is None else "command", *stamps]).encode()


def _reads_outside(root: Path, path: Path, data: bytes) -> bool:
    """Whether a file calls a local module outside ``root`` (checkov would read it)."""
    if not path.name.endswith((".tf", ".tf.json")):
        return False
    text = data.decode("utf-8", "replace")
    for source in MODULE_SOURCE.findall(text):
        if source.startswith("/"):
            return True
        if source.startswith((".", "..")):
            target = os.path.normpath(os.path.join(path.parent, source))
            if not Path(target).is_relative_to(root):
                return True
    return False


# -- microgate's own rules ---------------------------------------------------------------

def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [item for v in value for item in _strings(v)]
    return [str(value)] if value is not None else []


def _kms_policy_documents(found: Iterable[Resource]) -> set[str]:
    """The policy documents some KMS key uses as its key policy."""
    names: set[str] = set()
    for resource in found:
        if resource.type in KMS_KEY_TYPES:
            names.update(re.findall(r"data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)",
                                    str(resource.body.get("policy", ""))))
    return names


def wildcard_iam(tf: Path, parsed: dict[str, Any], text: str,
                 kms_documents: set[str]) -> list[IacFinding]:
    findings = []
    for document in resources(parsed, tf, text, kind="data"):
        if document.type != "aws_iam_policy_document":
            continue
        statements = document.body.get("statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        line = document.line or 1
        for statement in statements:
            if not isinstance(statement, dict) or \
                    str(statement.get("effect", "Allow")) == "Deny":
                continue
            wild = [a for a in _strings(statement.get("actions")) if "*" in a]
            if wild:
                findings.append(IacFinding(tf, line, "MG_IAM_ACTION",
                    f"the policy {document.name} allows {', '.join(wild)}: list the actions "
                    "the app needs, e.g. s3:GetObject"))
            actions = _strings(statement.get("actions"))
            if "*" in _strings(statement.get("resources")) and \
                    document.name not in kms_documents and not _only_on_every_resource(actions):
                findings.append(IacFinding(tf, line, "MG_IAM_RESOURCE",
                    f"the policy {document.name} applies to every resource (*): name the "
                    "resources by their ARN"))
    key_ranges = [(r.line or 0, int(r.body.get(END_LINE, r.line or 0)))
                  for r in resources(parsed, tf, text) if r.type in KMS_KEY_TYPES]
    for pattern, rule, message in (
        (INLINE_WILDCARD_ACTION, "MG_IAM_ACTION",
         "an inline policy allows a wildcard action: list the actions the app needs"),
        (INLINE_WILDCARD_RESOURCE, "MG_IAM_RESOURCE",
         "an inline policy applies to every resource (*): name the resources"),
    ):
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            start = text.rfind("\n", 0, match.start()) + 1
            if text[start:match.start()].lstrip().startswith(("#", "//")):
                continue
            if rule == "MG_IAM_RESOURCE" and (
                    any(a <= line <= b for a, b in key_ranges)
                    or _only_on_every_resource(_inline_actions(text, match.start()))):
                continue
            findings.append(IacFinding(tf, line, rule, message))
    return findings


def _only_on_every_resource(actions: list[str]) -> bool:
    return bool(actions) and all(ONLY_ON_EVERY_RESOURCE.match(a) for a in actions)


def _inline_actions(text: str, position: int) -> list[str]:
    """The actions of the inline statement whose ``Resource`` is at ``position``: those
    named since that statement's ``Action``/``Effect``, a few lines up at most."""
    window = text[max(0, position - 600):position]
    begin = max(window.rfind("Effect"), window.rfind("{"), window.rfind("Sid"))
    action = window.rfind("Action")
    if action < 0:
        return []
    return ACTION_NAME.findall(window[min(begin, action) if begin >= 0 else action:])


@dataclass(frozen=True)
class Cap:
    resource_type: str
    attribute: str
    cap: str           # the field of policies/tiers.yaml's compute caps
    unit: str
    aws_default: float | None  # what AWS uses when the attribute is not set


CAPS = (
    Cap("aws_lambda_function", "memory_size", "lambda_memory_mb", " MB", 128),
    Cap("aws_lambda_function", "reserved_concurrent_executions",
        "lambda_reserved_concurrency", "", None),
    Cap("aws_ecs_task_definition", "cpu", "fargate_cpu", " CPU units", None),
    Cap("aws_ecs_task_definition", "memory", "fargate_memory_mb", " MB", None),
    Cap("aws_ecs_service", "desired_count", "fargate_desired_count", " tasks", None),
)


def _variable_name(resource: Resource, attribute: str) -> str | None:
    value = resource.body.get(attribute)
    match = re.fullmatch(r"\$\{var\.([A-Za-z0-9_-]+)\}", str(value).strip())
    return match.group(1) if match else None


def compute_caps(module: Module, tier: int | None) -> list[IacFinding]:
    """Sizes over the caps of the app's tier (from microapp.yaml; else the resource's
    literal ``tier`` tag). Nothing is judged on a resource whose tier or value is unknown,
    and an attribute left out is judged at AWS's default."""
    from scaffold.policy import default_policy

    policy = default_policy()
    findings = []
    for instance in module.walk():
        for resource in instance.resources:
            rules = [cap for cap in CAPS if cap.resource_type == resource.type]
            if not rules:
                continue
            resource_tier = tier if tier is not None else _tag_tier(instance, resource)
            if resource_tier is None or resource_tier not in policy.tiers:
                continue
            caps = policy.tiers[resource_tier].compute.model_dump()
            for rule in rules:
                value, setting = instance.number(resource.body, rule.attribute, resource)
                if value is None and rule.attribute not in resource.body:
                    if rule.aws_default is None:
                        continue
                    value = rule.aws_default
                    setting = Setting(value, resource.path, resource.line)
                if value is None or setting is None or value < 0:
                    continue
                limit = caps[rule.cap]
                if value <= limit:
                    continue
                findings.append(_cap_finding(instance, resource, rule, value, setting,
                                             limit, resource_tier))
    return findings


def _cap_finding(module: Module, resource: Resource, rule: Cap, value: float,
                 setting: Setting, limit: float, tier: int) -> IacFinding:
    shown = f"{value:g}{rule.unit}"
    capped = f"{limit:g}{rule.unit}"
    variable = _variable_name(resource, rule.attribute)
    if setting.path == resource.path and setting.line == resource.line and \
            rule.attribute not in resource.body:
        fix = f"set {rule.attribute} to {limit:g} or less in {module.address_of(resource)}"
    elif variable:
        fix = f"set {variable} to {limit:g} or less here"
    else:
        fix = f"set {rule.attribute} to {limit:g} or less here"
    return IacFinding(
        setting.path, setting.line or resource.line or 1, "MG_CAPS",
        f"{module.address_of(resource)}: {rule.attribute} is {shown}, over tier {tier}'s "
        f"cap of {capped} (policies/tiers.yaml): {fix}, or ask the platform team for a "
        "higher tier")


def _tag_tier(module: Module, resource: Resource) -> int | None:
    tags = resource.body.get("tags")
    if not isinstance(tags, dict) or "tier" not in tags:
        return None
    setting = module.resolve(tags["tier"], resource.path, resource.line)
    try:
        return int(str(setting.value)) if setting else None
    except ValueError:
        return None


def own_rules(tops: list[Path], boundary: Path, tier: int | None) -> IacReport:
    """Parse errors, wildcard IAM, budgets and caps, for every Terraform folder under
    ``tops``; budgets and caps per root module (a folder no other one calls)."""
    report = IacReport()
    folders = [folder for top in tops for folder in terraform_folders(top)]
    parsed_files: dict[Path, tuple[dict[str, Any], str]] = {}
    called: set[Path] = set()
    for folder in folders:
        files, notes = tf_files(folder)
        report.notes += notes
        for tf in files:
            try:
                parsed_files[tf] = (parse_file(tf), read_source(tf))
            except MicrogateError as exc:
                report.findings.append(IacFinding(tf, error_line(exc.message) or 1, "MG_PARSE",
                                                  exc.message.removeprefix(f"{tf}: ")))
                continue
            called |= local_module_sources(folder, parsed_files[tf][0])
    found = [r for tf, (parsed, text) in parsed_files.items()
             for r in resources(parsed, tf, text)]
    kms_documents = _kms_policy_documents(found)
    for tf, (parsed, text) in parsed_files.items():
        report.findings += wildcard_iam(tf, parsed, text, kms_documents)
    for folder in folders:
        if folder.resolve() in called:
            continue
        module = load_module(folder, boundary=boundary)
        own = module.resources
        aws = [r for r in own if r.type.startswith("aws_")]
        if aws and not any(r.type == "aws_budgets_budget" for r in module.resources):
            # Where a budget is added: main.tf by convention, else by the first resource.
            first = min(aws, key=lambda r: (str(r.path), r.line or 0))
            main_tf = folder / "main.tf"
            where = (main_tf, 1) if main_tf in parsed_files else (first.path, first.line or 1)
            report.findings.append(IacFinding(
                *where, "MG_BUDGET",
                f"{_shown(folder, boundary)}/ creates AWS resources but has no "
                "aws_budgets_budget: "
                "every app needs a monthly budget with an alert to its owner (see "
                "infra/main.tf in the template)"))
        report.findings += compute_caps(module, tier)
    return report


def _shown(folder: Path, boundary: Path) -> str:
    try:
        return folder.resolve().relative_to(boundary).as_posix()
    except ValueError:
        return folder.name


# -- the whole check ------------------------------------------------------------------------

def top_folders(folders: Iterable[Path]) -> list[Path]:
    """The folders not inside another one of them (checkov walks nested folders)."""
    resolved = sorted({folder.resolve() for folder in folders}, key=lambda p: len(p.parts))
    tops: list[Path] = []
    for folder in resolved:
        if not any(folder.is_relative_to(top) for top in tops):
            tops.append(folder)
    return sorted(tops)


def check_tree(repo: Path, folders: list[Path], checkov: Path | None,
               tier: int | None = None) -> IacReport:
    """One checkov run for the folders (over the folder that holds them all), its
    findings kept to those folders, plus microgate's rules; each finding once.

    checkov runs in this process when it is installed here (the hook's environment),
    else its command from an environment of its own works while our rules run."""
    tops = top_folders(folders)
    if not tops:
        return IacReport()
    common = Path(os.path.commonpath([str(top) for top in tops]))
    boundary = repo.resolve()
    with scan_root(common) as (root, notes):
        in_process = checkov is None and checkov_importable()
        key = checkov_cache_key(root, checkov) if in_process or checkov is not None else None
        kept: Any = parsecache.lookup("checkov", key)[1] if key else None
        records: list[CheckovRecord] | None = \
            [(row[0], max(row[1], 1), row[2], row[3], row[4]) for row in kept] \
            if _rows(kept) else None
        process = start_checkov(root, checkov) \
            if checkov is not None and records is None else None
        try:
            report = own_rules(tops, boundary, tier)
        except BaseException:
            if process is not None:
                _kill_group(process)
            raise
        report.notes[:0] = notes
        if records is None and (in_process or process is not None):
            records = checkov_in_process(root) if process is None else checkov_records(process)
            if key:
                parsecache.store("checkov", key, [list(record) for record in records])
        scanned = [_checkov_finding(common, record) for record in records or []]
    report.findings += [finding for finding in scanned
                        if any(finding.path.is_relative_to(top) for top in tops)]
    report.findings = deduplicate(report.findings)
    return report


def _rows(kept: Any) -> bool:
    return isinstance(kept, list) and all(
        isinstance(row, list) and len(row) == 5 and isinstance(row[1], int)
        and all(isinstance(cell, str) for i, cell in enumerate(row) if i != 1)
        for row in kept)


def deduplicate(findings: list[IacFinding]) -> list[IacFinding]:
    """One finding per file, line and rule: checkov reports a module's resource once for
    each module call that uses it, at the same line of the module's file."""
    seen: set[tuple[Path, int, str]] = set()
    kept = []
    for finding in findings:
        key = (finding.path, finding.line, finding.rule)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def check_folder(folder: Path, checkov: Path | None, tier: int | None = None) -> IacReport:
    return check_tree(folder, [folder], checkov, tier)
