"""scaffold/engines/iac.py on Terraform shaped like public repos: nested modules, broken files,
KMS key policies, unquoted block types, sizes set through variables and modules. Real
checkov (in its own environment) runs on every case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaffold.engines.iac import check_tree
from scaffold.engines.tools import find_tool
from testing.terraform import BUDGET, OPEN_BUCKET, write
from testing.util import run


def findings(repo: Path, folders: list[Path], tier: int | None = None
             ) -> list[tuple[str, int, str, str]]:
    report = check_tree(repo, folders, find_tool("checkov"), tier)
    return [(f.path.relative_to(repo).as_posix(), f.line, f.rule, f.message)
            for f in report.findings]


def rules(found: list[tuple[str, int, str, str]]) -> set[tuple[str, int, str]]:
    return {(path, line, rule) for path, line, rule, _ in found}


def test_nested_modules_are_scanned_once_and_reported_once(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": BUDGET + OPEN_BUCKET,
        "examples/a/main.tf": BUDGET + 'module "root" {\n  source = "../../"\n}\n',
        "examples/b/main.tf": BUDGET + 'module "root" {\n  source = "../../"\n}\n',
    })
    folders = [tmp_path, tmp_path / "examples" / "a", tmp_path / "examples" / "b"]
    found = findings(tmp_path, folders)
    keys = [(path, line, rule) for path, line, rule, _ in found]
    assert len(keys) == len(set(keys)), keys
    # the open bucket's checks (checkov sees it once per module call, and once as the
    # root's own): once each, at the resource's line in the file that holds it
    for check in ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"):
        assert keys.count(("main.tf", 7, check)) == 1, keys


def test_a_broken_file_is_reported_and_the_rest_still_scanned(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": BUDGET + OPEN_BUCKET,
                     "broken.tf": 'resource "aws_s3_bucket" "x" {\n  bucket = \n}\n'})
    found = findings(tmp_path, [tmp_path])
    parse = [f for f in found if f[2] == "MG_PARSE"]
    assert len(parse) == 1 and parse[0][0] == "broken.tf" and "not valid Terraform" in \
        parse[0][3]
    assert any(f[0] == "main.tf" and f[2].startswith("CKV_AWS_") for f in found), found


def test_every_finding_has_a_line_even_for_unquoted_block_types(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": BUDGET + "\n\ndata aws_iam_policy_document \"p\" {\n"
                     "  statement {\n    actions   = [\"s3:*\"]\n"
                     "    resources = [\"*\"]\n  }\n}\n"})
    found = findings(tmp_path, [tmp_path])
    assert ("main.tf", 9, "MG_IAM_ACTION") in rules(found)
    assert ("main.tf", 9, "MG_IAM_RESOURCE") in rules(found)
    assert all(isinstance(line, int) and line >= 1 for _, line, _, _ in found)


@pytest.mark.parametrize("output", ["text", "json", "sarif"])
def test_check_reports_unquoted_blocks_in_every_format(tmp_path: Path, output: str) -> None:
    write(tmp_path, {"infra/main.tf": "data aws_iam_policy_document \"p\" {\n"
                     "  statement {\n    actions   = [\"s3:*\"]\n    resources = [\"*\"]\n"
                     "  }\n}\n" + BUDGET})
    result = run(["microgate", "check", "--all-files", "--only", "iac", "--format", output,
                  "--repo", str(tmp_path)])
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.output
    if output == "json":
        found = json.loads(result.stdout)["checks"]["iac"]["findings"]
        assert {"path": "infra/main.tf", "line": 1} .items() <= next(
            f for f in found if f["rule"] == "iac/MG_IAM_ACTION").items()


KMS = '''resource "aws_kms_key" "app" {
  description = "the app's key"
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:root" }
      Action    = ["kms:Encrypt", "kms:Decrypt"]
      Resource  = "*"
    }]
  })
}

resource "aws_kms_key" "other" {
  policy = data.aws_iam_policy_document.key.json
}

data "aws_iam_policy_document" "key" {
  statement {
    actions   = ["kms:Decrypt"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "tracing" {
  statement {
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "commented" {
  policy = <<-EOT
    {
      "Statement": [{
        "Effect": "Allow",
        "Action": ["xray:GetSamplingRules"],
        "Resource": ["*"]
      }]
    }
  EOT
  # "Resource": "*"
}
'''


def test_key_policies_and_actions_that_need_every_resource_are_not_flagged(
        tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": BUDGET, "kms.tf": KMS})
    found = findings(tmp_path, [tmp_path])
    assert not [f for f in found if f[2].startswith("MG_IAM")], found
    # and the same statement on a bucket is still flagged
    write(tmp_path, {"kms.tf": KMS.replace('"kms:Decrypt"]\n    resources',
                                           '"s3:GetObject"]\n    resources')
                     .replace('"aws_kms_key" "app"', '"aws_iam_policy" "app"')})
    found = findings(tmp_path, [tmp_path])
    assert {("kms.tf", 8, "MG_IAM_RESOURCE")} <= rules(found), found


LAMBDA = '''resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = "arn:aws:iam::123456789012:role/fn"
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "app.zip"
%s}
'''


def test_sizes_are_judged_on_the_value_the_resource_gets(tmp_path: Path) -> None:
    # no memory_size at all: AWS gives 128 MB, within every tier's cap
    write(tmp_path, {"main.tf": BUDGET, "fn.tf": LAMBDA % ""})
    assert not [f for f in findings(tmp_path, [tmp_path], tier=0) if f[2] == "MG_CAPS"]
    # no tier known (no manifest, no tier tag): nothing is judged
    write(tmp_path, {"fn.tf": LAMBDA % "  memory_size   = 10240\n"})
    assert not [f for f in findings(tmp_path, [tmp_path]) if f[2] == "MG_CAPS"]
    # a literal tier tag is enough
    write(tmp_path, {"fn.tf": LAMBDA % "  memory_size   = 10240\n  tags = { tier = 0 }\n"})
    caps = [f for f in findings(tmp_path, [tmp_path]) if f[2] == "MG_CAPS"]
    assert caps == [("fn.tf", 7, "MG_CAPS",
                     "aws_lambda_function.fn: memory_size is 10240 MB, over tier 0's cap of "
                     "512 MB (policies/tiers.yaml): set memory_size to 512 or less here, or "
                     "ask the platform team for a higher tier")]


def test_a_size_set_through_a_module_is_reported_where_it_is_set(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": BUDGET + 'module "worker" {\n  source = "./modules/fn"\n'
                   '  memory    = var.worker_memory\n}\n',
        "variables.tf": 'variable "worker_memory" {\n  type    = number\n'
                        '  default = 3008\n}\n',
        "modules/fn/main.tf": LAMBDA % "  memory_size   = var.memory\n",
        "modules/fn/variables.tf": 'variable "memory" {\n  default = 256\n}\n',
    })
    caps = [f for f in findings(tmp_path, [tmp_path], tier=1) if f[2] == "MG_CAPS"]
    assert caps == [("variables.tf", 3, "MG_CAPS",
                     "module.worker.aws_lambda_function.fn: memory_size is 3008 MB, over "
                     "tier 1's cap of 1024 MB (policies/tiers.yaml): set memory to 1024 or "
                     "less here, or ask the platform team for a higher tier")]
    # the module's own default is within the cap when the caller sets nothing
    write(tmp_path, {"main.tf": BUDGET + 'module "worker" {\n  source = "./modules/fn"\n}\n'})
    assert not [f for f in findings(tmp_path, [tmp_path], tier=1) if f[2] == "MG_CAPS"]


def test_a_module_called_by_another_folder_needs_no_budget_of_its_own(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": OPEN_BUCKET,
                     "examples/app/main.tf": 'module "m" {\n  source = "../../"\n}\n'})
    found = findings(tmp_path, [tmp_path])
    assert not [f for f in found if f[2] == "MG_BUDGET"], found
    write(tmp_path, {"examples/app/main.tf": 'resource "aws_sqs_queue" "q" {}\n'})
    budget = [f for f in findings(tmp_path, [tmp_path]) if f[2] == "MG_BUDGET"]
    assert [f[:3] for f in budget] == [("main.tf", 1, "MG_BUDGET"),
                                       ("examples/app/main.tf", 1, "MG_BUDGET")]
    assert budget[1][3].startswith("examples/app/ creates AWS resources but has no")


def test_checkovs_runner_reports_what_checkovs_command_reports(tmp_path: Path) -> None:
    """microgate runs checkov's Terraform runner with the Python of checkov's environment
    (no other framework started); checkov's own command finds the same on the same files."""
    import subprocess

    from scaffold.engines.iac import checkov_command, checkov_findings, start_checkov

    write(tmp_path, {
        "main.tf": BUDGET + OPEN_BUCKET + 'resource "aws_s3_bucket" "site" {\n'
                   '  bucket = "b"\n  acl    = "public-read"\n}\n',
        "modules/db/main.tf": 'resource "aws_db_instance" "d" {\n  engine = "postgres"\n'
                              '  instance_class = "db.t3.micro"\n}\n',
    })
    checkov = find_tool("checkov")
    driver = checkov_command(tmp_path, checkov)
    assert driver[1:3] == ["-I", "-c"]  # the runner, not checkov's command
    ours = checkov_findings(tmp_path, start_checkov(tmp_path, checkov))
    command = [str(checkov), *checkov_command(tmp_path, tmp_path / "no-python" / "checkov")[1:]]
    assert command[1] == "--directory"
    theirs = checkov_findings(tmp_path, subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path))

    def keys(found: list) -> list[tuple[str, int, str, str]]:
        return sorted((f.path.relative_to(tmp_path).as_posix(), f.line, f.rule, f.message)
                      for f in found)

    assert keys(ours) == keys(theirs)
    assert {"CKV_MG_3", "CKV_MG_4"} <= {rule for _, _, rule, _ in keys(ours)}
    assert any(path == "modules/db/main.tf" for path, *_ in keys(ours))


def kept_answers(cache: Path) -> list[Path]:
    return sorted((cache / "microgate" / "parsed" / "checkov").glob("*.json"))


def test_checkovs_answer_is_kept_by_content_and_any_change_is_scanned_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    repo = tmp_path / "repo"
    write(repo, {"main.tf": BUDGET + OPEN_BUCKET, "modules/q/main.tf": "# a module\n"})
    first = findings(repo, [repo])
    assert {"CKV_AWS_53", "CKV_AWS_56"} <= {rule for _, _, rule in rules(first)}
    [entry] = kept_answers(cache)
    # The same files again: the kept answer is what is reported (a row planted in it shows).
    rows = json.loads(entry.read_text())
    entry.write_text(json.dumps([*rows, ["/main.tf", 3, "CKV_PLANTED", "Ensure x", "r.x"]]))
    assert rules(findings(repo, [repo])) == rules(first) | {("main.tf", 3, "CKV_PLANTED")}
    # One byte changed in any file below the folder: checkov answers again.
    write(repo, {"modules/q/main.tf": "# a module.\n"})
    assert rules(findings(repo, [repo])) == rules(first)
    # The open bucket closed: the findings go with it (not an answer kept from before).
    write(repo, {"main.tf": BUDGET + OPEN_BUCKET.replace("false", "true")})
    assert not {"CKV_AWS_53", "CKV_AWS_56"} & {rule for _, _, rule in
                                               rules(findings(repo, [repo]))}
    assert len(kept_answers(cache)) == 3
    # A damaged entry is no answer: checkov runs, and the entry is written afresh.
    for damaged in kept_answers(cache):
        damaged.write_text('[["/main.tf", "not a line"')
    write(repo, {"main.tf": BUDGET + OPEN_BUCKET, "modules/q/main.tf": "# a module\n"})
    assert rules(findings(repo, [repo])) == rules(first)
    assert json.loads(entry.read_text()) == rows


def test_terraform_that_calls_a_module_outside_the_folder_is_never_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """checkov reads a local module wherever its source points; the key covers only the
    folder scanned, so such an answer could go stale when the module changes."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    write(tmp_path, {"infra/main.tf": BUDGET + 'module "shared" {\n  source = "../shared"\n}\n',
                     "shared/main.tf": OPEN_BUCKET})
    found = findings(tmp_path, [tmp_path / "infra"])
    assert kept_answers(cache) == []
    monkeypatch.setenv("MICROGATE_NO_PARSE_CACHE", "1")
    assert findings(tmp_path, [tmp_path / "infra"]) == found


def test_another_checkov_is_another_key(tmp_path: Path) -> None:
    """An upgrade or a reinstall rewrites checkov's files: its answers are not reused."""
    from scaffold.engines.iac import checkov_cache_key

    write(tmp_path, {"infra/main.tf": BUDGET})
    env = tmp_path / "env" / "bin"
    write(env, {"checkov": "#!/bin/sh\n", "python": ""})
    before = checkov_cache_key(tmp_path / "infra", env / "checkov")
    assert before is not None
    assert checkov_cache_key(tmp_path / "infra", env / "checkov") == before
    (env / "checkov").write_text("#!/bin/sh\n# 3.2.501\n")
    assert checkov_cache_key(tmp_path / "infra", env / "checkov") not in (before, None)
    assert checkov_cache_key(tmp_path / "infra", tmp_path / "no" / "checkov") is None
