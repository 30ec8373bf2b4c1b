"""microgate-iac: real checkov with the platform's policies, on generated repos."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hooks.iac import main

TF = ["infra/main.tf"]


@pytest.fixture
def app(make_app: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    runtime = getattr(request, "param", "serverless")
    repo: Path = make_app(runtime=runtime, tier=1, git=False)
    monkeypatch.chdir(repo)
    return repo


def edit(repo: Path, name: str, old: str, new: str) -> None:
    path = repo / "infra" / name
    text = path.read_text()
    assert old in text, (name, old)
    path.write_text(text.replace(old, new))


def run(capsys: pytest.CaptureFixture[str], files: list[str] = TF) -> tuple[int, str]:
    code = main(files)
    return code, capsys.readouterr().out


@pytest.mark.parametrize("app", ["serverless", "container", "static-site", "scheduled"],
                         indirect=True)
def test_generated_terraform_passes(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys) == (0, "")


def test_lambda_memory_above_the_tier_cap_is_blocked(app: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    edit(app, "variables.tf", "  default = 256\n", "  default = 2048\n")
    code, out = run(capsys, ["infra/variables.tf"])
    assert code == 1
    line = next(n for n, text in enumerate((app / "infra" / "variables.tf").read_text()
                                           .splitlines(), 1) if "default = 2048" in text)
    # where the user changes it, the value, the cap and the fix
    assert re.search(rf"infra/variables\.tf:{line}: error: aws_lambda_function\.app: "
                     r"memory_size is 2048 MB, over tier 1's cap of 1024 MB "
                     r"\(policies/tiers\.yaml\): set lambda_memory_mb to 1024 or less here"
                     r".*\[iac/MG_CAPS\]", out), out


def test_dropping_the_owner_tag_is_blocked(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(app, "main.tf", "    owner         = local.manifest.owner\n", "")
    code, out = run(capsys)
    assert code == 1
    assert re.search(r"error: aws_\w+\.\w+ does not meet CKV_MG_1: Every taggable resource "
                     r"carries the tags owner, .*\. Fix: keep owner, app, tier, cost-center and "
                     r"expires in local\.tags .*\[iac/CKV_MG_1\]", out), out


@pytest.mark.parametrize("app", ["static-site"], indirect=True)
def test_an_open_bucket_is_blocked(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(app, "site.tf", "block_public_policy     = true", "block_public_policy     = false")
    code, out = run(capsys, ["infra/site.tf"])
    assert code == 1
    assert "aws_s3_bucket_public_access_block.site does not meet CKV_MG_3: Buckets block " \
        "every kind of public access" in out and \
        "Fix: add an aws_s3_bucket_public_access_block" in out
    assert "[iac/CKV_MG_3]" in out


def test_a_missing_budget_is_blocked(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main_tf = app / "infra" / "main.tf"
    text = main_tf.read_text()
    main_tf.write_text(text[: text.index('resource "aws_budgets_budget"')])
    code, out = run(capsys)
    assert code == 1
    assert "infra/main.tf:1: error: infra/ creates AWS resources but has no aws_budgets_budget" \
        in out


def test_wildcard_iam_is_blocked(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(app, "lambda.tf", '"logs:CreateLogStream", "logs:PutLogEvents"', '"logs:*"')
    code, out = run(capsys, ["infra/lambda.tf"])
    assert code == 1
    assert re.search(r"infra/lambda\.tf:\d+: error: the policy logs allows logs:\*", out)


def test_inline_wildcard_policy_is_blocked(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (app / "infra" / "extra.tf").write_text(
        'resource "aws_iam_role_policy" "extra" {\n  role = aws_iam_role.app.id\n'
        '  policy = jsonencode({\n    Statement = [{\n      Action   = "*"\n'
        '      Effect   = "Allow"\n      Resource = "*"\n    }]\n  })\n}\n')
    code, out = run(capsys, ["infra/extra.tf"])
    assert code == 1
    assert "infra/extra.tf:5: error: an inline policy allows a wildcard action" in out
    assert "infra/extra.tf:7: error: an inline policy applies to every resource" in out


def test_a_commit_without_terraform_does_not_start_checkov(
    app: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROGATE_CHECKOV", str(app / "no-such-checkov"))
    assert run(capsys, ["app/core.py", "README.md"]) == (0, "")
    code = main(TF)
    assert code == 1 and "checkov could not start" in capsys.readouterr().err


def test_broken_terraform_is_a_finding(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (app / "infra" / "broken.tf").write_text('resource "x" {\n  = oops\n')
    code, out = run(capsys, ["infra/broken.tf"])
    assert code == 1 and "not valid Terraform" in out


def test_every_skipped_check_has_a_reason() -> None:
    from scaffold.engines.iac import skipped_checks

    for check_id, reason in skipped_checks().items():
        assert re.fullmatch(r"CKV2?_AWS_\d+", check_id), check_id
        assert len(reason) > 20, check_id
