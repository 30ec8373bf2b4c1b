"""The IaC check: checkov and microgate's Terraform rules on the folders the commit touches."""

from __future__ import annotations

from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.findings import Finding

CHECK = "iac"
ADVICE = """\
Each finding names the rule and the resource. The platform's rules are in
policies/checkov (sizes within the tier's caps, required tags, no public buckets) and
policies/checkov-skips.yaml lists checkov's checks turned off, with the reasons. If a
finding is wrong for one resource, add `# checkov:skip=<ID>:<why>` inside it; it shows up
in review."""


def touched_folders(repo: Path, files: list[str] | None) -> list[Path]:
    if files is None:
        from scaffold.checks.cost import terraform_dirs

        return terraform_dirs(repo)
    folders = {(repo / name).parent for name in files if name.endswith((".tf", ".tfvars"))}
    return sorted(folder for folder in folders if folder.is_dir()
                  and any(folder.glob("*.tf")))


def run(repo: Path, files: list[str] | None) -> CheckResult:
    from scaffold.iac import check_folder, checkov_importable
    from scaffold.tools import find_tool

    folders = touched_folders(repo, files)
    if not folders:
        return CheckResult()
    # Beside checkov (its hook environment) it runs in this process; elsewhere its command
    # comes from an environment of its own.
    checkov = None if checkov_importable() else find_tool("checkov")
    findings: list[Finding] = []
    notes: list[str] = []
    for folder in folders:
        report = check_folder(folder, checkov)
        notes += report.notes
        for item in report.findings:
            try:
                where = item.path.resolve().relative_to(repo.resolve()).as_posix()
            except ValueError:
                where = str(item.path)
            findings.append(Finding(where, item.line, CHECK, item.rule, item.message))
    return CheckResult(findings, notes, ADVICE, len(folders))
