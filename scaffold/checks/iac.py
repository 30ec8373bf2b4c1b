"""The IaC check: checkov and microgate's Terraform rules on the folders the commit touches."""

from __future__ import annotations

from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.findings import Finding

CHECK = "iac"
ADVICE = """\
Each finding names the rule, the resource and the line to change. MG_* rules are
microgate's (a budget, no wildcard IAM, sizes within the tier's caps in
policies/tiers.yaml); CKV_* are checkov's and the platform's (policies/checkov), with
policies/checkov-skips.yaml listing the ones turned off and why. If a checkov finding is
wrong for one resource, add `# checkov:skip=<ID>:<why>` inside it; it shows up in review."""


def touched_folders(repo: Path, files: list[str] | None) -> list[Path]:
    if files is None:
        from scaffold.engines.terraform import terraform_folders

        return terraform_folders(repo)
    folders = {(repo / name).parent for name in files if name.endswith((".tf", ".tfvars"))}
    return sorted(folder for folder in folders if folder.is_dir()
                  and any(folder.glob("*.tf")))


def manifest_tier(repo: Path) -> int | None:
    """The tier in microapp.yaml, without the full validation (the manifest check does
    that); None when there is no readable one."""
    from scaffold import yamlio
    from scaffold.safefiles import SkippedFile, read_text

    try:
        tier = yamlio.load(read_text(repo, "microapp.yaml", max_bytes=1_000_000)).get("tier")
    except (OSError, ValueError, AttributeError, SkippedFile, UnicodeDecodeError):
        return None
    return tier if isinstance(tier, int) and not isinstance(tier, bool) else None


def run(repo: Path, files: list[str] | None) -> CheckResult:
    from scaffold.engines.iac import check_tree, checkov_importable
    from scaffold.engines.tools import find_tool

    folders = touched_folders(repo, files)
    if not folders:
        return CheckResult()
    # Beside checkov (its hook environment) it runs in this process; elsewhere its command
    # comes from an environment of its own.
    checkov = None if checkov_importable() else find_tool("checkov")
    report = check_tree(repo, folders, checkov, manifest_tier(repo))
    findings: list[Finding] = []
    for item in report.findings:
        try:
            where = item.path.resolve().relative_to(repo.resolve()).as_posix()
        except ValueError:
            where = str(item.path)
        findings.append(Finding(where, item.line, CHECK, item.rule, item.message))
    return CheckResult(findings, report.notes, ADVICE, len(folders))
