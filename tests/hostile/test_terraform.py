"""Terraform in a pull request that tries to make the IaC and cost checks read outside the
repo, loop, or explode: module sources, module cycles, huge for_each literals, a manifest
that lies about its LLM use. Each runs capped (testing/hostile.py) and says what the user
is told."""

from __future__ import annotations

from pathlib import Path

from testing.hostile import microgate


def test_a_module_source_outside_the_repo_is_not_followed(app: Path, outside: Path) -> None:
    (outside.parent / "evil").mkdir()
    (outside.parent / "evil" / "main.tf").write_text(
        'resource "aws_instance" "x" {\n  instance_type = "OUTSIDE-CONTENT-MUST-NOT-APPEAR"\n'
        '}\n')
    depth = "../" * (len(app.parts) + 2)
    (app / "infra" / "extra.tf").write_text(
        f'module "evil" {{\n  source = "{depth}{str(outside.parent / "evil").lstrip("/")}"\n}}\n'
        'module "up" {\n  source = "../../"\n}\n')
    result = microgate("cost", str(app), "--format", "json", cwd=app, timeout=60)
    assert result.returncode in (0, 1), result.output
    assert "OUTSIDE-CONTENT-MUST-NOT-APPEAR" not in result.output
    assert "module.evil" not in result.stdout
    checked = microgate("check", "--all-files", "--only", "cost", "--only", "iac", cwd=app,
                        timeout=240)
    assert checked.returncode in (0, 1), checked.output
    assert "OUTSIDE-CONTENT-MUST-NOT-APPEAR" not in checked.output
    assert "Traceback" not in checked.output


def test_modules_that_call_each_other_do_not_loop(app: Path) -> None:
    (app / "infra" / "a").mkdir()
    (app / "infra" / "b").mkdir()
    (app / "infra" / "a" / "main.tf").write_text('module "b" {\n  source = "../b"\n}\n'
                                                 'resource "aws_eip" "a" {}\n')
    (app / "infra" / "b" / "main.tf").write_text('module "a" {\n  source = "../a"\n}\n'
                                                 'resource "aws_eip" "b" {}\n')
    (app / "infra" / "extra.tf").write_text('module "a" {\n  source = "./a"\n}\n')
    result = microgate("cost", str(app), cwd=app, timeout=60)
    assert result.returncode in (0, 1), result.output
    assert "is not followed (outside the repo, a loop, or nested too deep)" in result.output
    assert result.seconds < 30


def test_a_huge_for_each_is_priced_without_exhausting_memory(app: Path) -> None:
    keys = ", ".join(f'"k{i}"' for i in range(20_000))
    (app / "infra" / "extra.tf").write_text(
        f'resource "aws_eip" "many" {{\n  for_each = toset([{keys}])\n}}\n')
    result = microgate("cost", str(app), "--format", "json", cwd=app, timeout=120)
    assert result.returncode == 1, result.output  # 20,000 addresses: over any budget
    assert '"total_monthly": ' in result.stdout
    assert result.seconds < 60


def test_an_llm_connector_with_absurd_numbers_is_refused_not_priced(app: Path) -> None:
    manifest = app / "microapp.yaml"
    text = manifest.read_text()
    assert "connectors:\n" in text
    manifest.write_text(text.replace(
        "connectors:\n", "connectors:\n  - name: bot\n    kind: llm\n    access: read\n"
        "    model: gpt-4o\n    calls_per_month: 1.0e+400\n    input_tokens_per_call: -5\n"
        "    output_tokens_per_call: 10\n", 1))
    result = microgate("check", "--all-files", "--only", "manifest", "--only", "cost",
                       cwd=app, timeout=60)
    assert result.returncode == 1
    assert "calls_per_month: Input should be a finite number" in result.stdout
    assert "llm.bot: declare model, calls_per_month" in result.stdout
    assert "$inf" not in result.stdout and "Traceback" not in result.output


def test_a_hostile_terraform_plan_is_read_as_data_within_bounds(app: Path) -> None:
    """`microgate cost --plan` in CI reads a plan the pull request's Terraform produced:
    expressions in it stay text, and a plan too big, too deep or too wide ends in one line."""
    import json

    def resource(index: int, values: dict[str, object]) -> dict[str, object]:
        return {"address": f"aws_eip.x[{index}]", "mode": "managed", "type": "aws_eip",
                "name": "x", "index": index, "values": values}

    plan = app / "plan.json"
    tricky = {"tags": {"a": '${file("/etc/passwd")}', "b": "%{ for x in [1] }x%{ endfor }"},
              "domain": "vpc"}
    plan.write_text(json.dumps({"planned_values": {"root_module": {
        "resources": [resource(i, tricky) for i in range(20_000)],
        "child_modules": [{"address": "module.m", "resources": [
            {"type": "aws_instance", "name": "y",
             "values": {"instance_type": '${file("/etc/hostname")}'}}]}]}}}))
    wide = microgate("cost", str(app), "--plan", str(plan), "--format", "json", cwd=app,
                     timeout=120)
    assert wide.returncode == 1, wide.output  # 20,000 addresses: over the budget
    report = json.loads(wide.stdout)
    assert report["unpriced_types"] == ["aws_instance"]  # its type is not a price key
    assert "root:x:" not in wide.output  # /etc/passwd was never read
    assert wide.seconds < 60
    plan.write_text('{"planned_values": {"root_module": ' + '{"child_modules": [' * 60 +
                    "{}" + "]}" * 60 + "}}")
    deep = microgate("cost", str(app), "--plan", str(plan), cwd=app, timeout=60)
    deep.assert_clean_error(2)
    assert deep.stderr.strip().endswith("modules nested over 50 deep, not read")
    with plan.open("w") as handle:
        handle.write('{"planned_values": {"root_module": {"resources": [], "x": "')
        handle.write("a" * 21_000_000 + '"}}}')
    big = microgate("cost", str(app), "--plan", str(plan), cwd=app, timeout=60)
    big.assert_clean_error(2)
    assert big.stderr.strip().endswith("over 20 MB, not read")


def test_a_checkov_configuration_in_the_repo_does_not_choose_the_checks(app: Path) -> None:
    """checkov's command reads .checkov.yaml from the folder it runs in: one in a pull
    request could keep every check from running."""
    main = app / "infra" / "main.tf"
    main.write_text(main.read_text().replace("    owner         = local.manifest.owner\n", ""))
    silence = "check:\n  - CKV_NOTHING\nskip-check:\n  - CKV_MG_1\nsoft-fail: true\n"
    for folder in (app, app / "infra"):
        (folder / ".checkov.yaml").write_text(silence)
        (folder / ".checkov.yml").write_text(silence)
    result = microgate("check", "--all-files", "--only", "iac", cwd=app, timeout=240)
    assert result.returncode == 1, result.output
    assert "does not meet CKV_MG_1" in result.stdout
