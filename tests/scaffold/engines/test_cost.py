"""scaffold/engines/cost.py: every priced resource type, modules, count/for_each, tiers,
incomplete estimates and LLM spend, on Terraform written here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scaffold.engines.cost import PRICERS, Estimate, LlmUse, add_llm_spend, estimate, pricing

# type -> (Terraform, usage given for it, expected monthly USD in us-east-1). With
# assume=False only the configuration and the usage given count, as in infracost.
CASES: dict[str, tuple[str, dict[str, Any], float]] = {
    "aws_lambda_function": (
        'resource "aws_lambda_function" "x" {\n  memory_size = 512\n}\n',
        {"monthly_requests": 1_000_000, "request_duration_ms": 100},
        0.20 + 1e6 * 0.1 * 0.5 * 0.0000166667),
    "aws_lambda_provisioned_concurrency_config": (
        'resource "aws_lambda_function" "f" {\n  memory_size = 1024\n}\n'
        'resource "aws_lambda_provisioned_concurrency_config" "x" {\n'
        '  function_name = aws_lambda_function.f.function_name\n'
        '  provisioned_concurrent_executions = 2\n}\n',
        {}, 2 * 1 * 730 * 3600 * 0.0000041667),
    "aws_ecs_service": (
        'resource "aws_ecs_task_definition" "t" {\n  cpu = "1 vCPU"\n  memory = "2 GB"\n}\n'
        'resource "aws_ecs_service" "x" {\n  task_definition = aws_ecs_task_definition.t.arn\n'
        '  desired_count = 2\n}\n',
        {}, 2 * 730 * (1 * 0.04048 + 2 * 0.004445)),
    "aws_instance": (
        'resource "aws_instance" "x" {\n  instance_type = "t3.micro"\n  monitoring = true\n'
        '  root_block_device {\n    volume_size = 20\n    volume_type = "gp3"\n  }\n}\n',
        {}, 730 * 0.0104 + 20 * 0.08 + 7 * 0.30),
    "aws_ebs_volume": ('resource "aws_ebs_volume" "x" {\n  size = 100\n  type = "io1"\n'
                       '  iops = 1000\n}\n', {}, 100 * 0.125 + 1000 * 0.065),
    "aws_ebs_snapshot": ('resource "aws_ebs_volume" "v" {\n  size = 50\n}\n'
                         'resource "aws_ebs_snapshot" "x" {\n  volume_id = aws_ebs_volume.v.id\n'
                         '}\n', {}, 50 * 0.10 + 50 * 0.05),
    "aws_eip": ('resource "aws_eip" "x" {}\n', {}, 730 * 0.005),
    "aws_eks_cluster": ('resource "aws_eks_cluster" "x" {\n  version = "1.34"\n}\n', {},
                        730 * 0.10),
    "aws_eks_node_group": (
        'resource "aws_eks_node_group" "x" {\n  instance_types = ["t3.small"]\n'
        '  scaling_config {\n    desired_size = 3\n  }\n}\n', {},
        3 * 730 * 0.0208 + 3 * 20 * 0.10),
    "aws_apprunner_service": (
        'resource "aws_apprunner_service" "x" {\n  instance_configuration {\n'
        '    cpu = "1024"\n    memory = "2048"\n  }\n}\n', {}, 2 * 730 * 0.007),
    "aws_db_instance": (
        'resource "aws_db_instance" "x" {\n  engine = "postgres"\n'
        '  instance_class = "db.t3.micro"\n  allocated_storage = 20\n  multi_az = true\n}\n',
        {}, 2 * 730 * 0.018 + 2 * 20 * 0.115),
    "aws_rds_cluster": ('resource "aws_rds_cluster" "x" {\n  engine = "aurora-postgresql"\n}\n',
                        {"storage_gb": 100, "monthly_io_requests": 10_000_000},
                        100 * 0.10 + 10 * 0.20),
    "aws_rds_cluster_instance": (
        'resource "aws_rds_cluster" "c" {\n  serverlessv2_scaling_configuration {\n'
        '    min_capacity = 1\n    max_capacity = 4\n  }\n}\n'
        'resource "aws_rds_cluster_instance" "x" {\n  cluster_identifier = aws_rds_cluster.c.id'
        '\n  instance_class = "db.serverless"\n}\n', {}, 1 * 730 * 0.12),
    "aws_neptune_cluster_instance": (
        'resource "aws_neptune_cluster_instance" "x" {\n  instance_class = "db.r5.large"\n}\n',
        {}, 730 * 0.348),
    "aws_neptune_cluster": ('resource "aws_neptune_cluster" "x" {}\n', {"storage_gb": 10},
                            10 * 0.10),
    "aws_dynamodb_table": (
        'resource "aws_dynamodb_table" "x" {\n  billing_mode = "PAY_PER_REQUEST"\n}\n',
        {"monthly_write_request_units": 2_000_000, "monthly_read_request_units": 8_000_000,
         "storage_gb": 4}, 2 * 0.625 + 8 * 0.125 + 4 * 0.25),
    "aws_elasticache_cluster": (
        'resource "aws_elasticache_cluster" "x" {\n  node_type = "cache.t4g.micro"\n'
        '  num_cache_nodes = 2\n}\n', {}, 2 * 730 * 0.016),
    "aws_elasticache_replication_group": (
        'resource "aws_elasticache_replication_group" "x" {\n  node_type = "cache.t3.small"\n'
        '  num_node_groups = 2\n  replicas_per_node_group = 1\n}\n', {}, 4 * 730 * 0.034),
    "aws_opensearch_domain": (
        'resource "aws_opensearch_domain" "x" {\n  cluster_config {\n'
        '    instance_type = "t3.small.search"\n    instance_count = 2\n  }\n'
        '  ebs_options {\n    ebs_enabled = true\n    volume_size = 10\n  }\n}\n', {},
        2 * 730 * 0.036 + 2 * 10 * 0.135),
    "aws_elasticsearch_domain": (
        'resource "aws_elasticsearch_domain" "x" {\n  cluster_config {\n'
        '    instance_type = "m5.large.elasticsearch"\n  }\n}\n', {}, 730 * 0.142),
    "aws_s3_bucket": ('resource "aws_s3_bucket" "x" {}\n', {}, 0.0),
    "aws_ecr_repository": ('resource "aws_ecr_repository" "x" {}\n', {}, 0.0),
    "aws_lb": ('resource "aws_lb" "x" {\n  load_balancer_type = "network"\n}\n', {},
               730 * 0.0225),
    "aws_alb": ('resource "aws_alb" "x" {}\n', {}, 730 * 0.0225),
    "aws_elb": ('resource "aws_elb" "x" {}\n', {"monthly_data_processed_gb": 100},
                730 * 0.025 + 100 * 0.008),
    "aws_nat_gateway": ('resource "aws_nat_gateway" "x" {}\n',
                        {"monthly_data_processed_gb": 10}, 730 * 0.045 + 10 * 0.045),
    "aws_vpc_endpoint": (
        'resource "aws_vpc_endpoint" "x" {\n  vpc_endpoint_type = "Interface"\n'
        '  subnet_ids = ["a", "b"]\n}\n', {}, 2 * 730 * 0.01),
    "aws_cloudfront_distribution": ('resource "aws_cloudfront_distribution" "x" {}\n', {},
                                    0.0),
    "aws_apigatewayv2_api": (
        'resource "aws_apigatewayv2_api" "x" {\n  protocol_type = "HTTP"\n}\n',
        {"monthly_requests": 400_000_000}, 300 * 1.00 + 100 * 0.90),
    "aws_api_gateway_rest_api": ('resource "aws_api_gateway_rest_api" "x" {}\n',
                                 {"monthly_requests": 2_000_000}, 2 * 3.50),
    "aws_route53_zone": ('resource "aws_route53_zone" "x" {}\n', {}, 0.50),
    "aws_route53_record": ('resource "aws_route53_record" "x" {}\n',
                           {"monthly_standard_queries": 5_000_000}, 5 * 0.40),
    "aws_kms_key": ('resource "aws_kms_key" "x" {}\n', {"monthly_requests": 20_000},
                    1.00 + 2 * 0.03),
    "aws_kms_external_key": ('resource "aws_kms_external_key" "x" {}\n', {}, 1.00),
    "aws_kms_replica_key": ('resource "aws_kms_replica_key" "x" {}\n', {}, 1.00),
    "aws_secretsmanager_secret": ('resource "aws_secretsmanager_secret" "x" {}\n',
                                  {"monthly_requests": 10_000}, 0.40 + 0.05),
    "aws_ssm_parameter": ('resource "aws_ssm_parameter" "x" {\n  tier = "Advanced"\n}\n', {},
                          0.05),
    "aws_cloudwatch_log_group": ('resource "aws_cloudwatch_log_group" "x" {}\n',
                                 {"monthly_data_ingested_gb": 10, "storage_gb": 10},
                                 10 * 0.50 + 10 * 0.03),
    "aws_cloudwatch_metric_alarm": (
        'resource "aws_cloudwatch_metric_alarm" "x" {\n  period = 10\n}\n', {}, 0.30),
    "aws_cloudwatch_dashboard": ('resource "aws_cloudwatch_dashboard" "x" {}\n', {}, 3.00),
    "aws_sqs_queue": ('resource "aws_sqs_queue" "x" {\n  fifo_queue = true\n}\n',
                      {"monthly_requests": 2_000_000}, 2 * 0.50),
    "aws_sns_topic": ('resource "aws_sns_topic" "x" {}\n', {"monthly_requests": 4_000_000},
                      4 * 0.50),
    "aws_cloudwatch_event_bus": ('resource "aws_cloudwatch_event_bus" "x" {}\n',
                                 {"monthly_custom_events": 3_000_000}, 3 * 1.00),
    "aws_scheduler_schedule": (
        'resource "aws_scheduler_schedule" "x" {\n'
        '  schedule_expression = "rate(1 minute)"\n}\n', {}, 730 * 60 / 1e6 * 1.00),
    "aws_sfn_state_machine": ('resource "aws_sfn_state_machine" "x" {}\n',
                              {"monthly_transitions": 100_000}, 100 * 0.025),
    "aws_ebs_snapshot_copy": (
        'resource "aws_ebs_volume" "v" {\n  size = 10\n}\n'
        'resource "aws_ebs_snapshot_copy" "x" {\n  source_snapshot_id = aws_ebs_volume.v.id\n'
        '}\n', {}, 10 * 0.10 + 10 * 0.05),
}


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_every_priced_type_has_a_case() -> None:
    assert set(PRICERS) == set(CASES)


@pytest.mark.parametrize("resource_type", sorted(CASES))
def test_each_priced_type(tmp_path: Path, resource_type: str) -> None:
    text, usage, expected = CASES[resource_type]
    write(tmp_path, {"main.tf": text})
    result = estimate(tmp_path, traffic="low", region="us-east-1",
                      usage={f"{resource_type}.x": usage}, assume=False)
    assert result.complete, result.unpriced
    assert result.total == pytest.approx(expected, rel=1e-6), result.table()


def test_with_traffic_the_usage_is_assumed_and_printed(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": CASES["aws_sqs_queue"][0]})
    result = estimate(tmp_path, traffic="medium", region="us-east-1")
    # 3M requests a month, one message each: sent, received and deleted
    assert result.total == pytest.approx(9 * 0.50)
    assert "traffic medium: 3,000,000 requests a month" in result.assumptions[0]
    assert "messages per request: 1" in result.assumptions


def test_local_modules_are_followed_and_count_and_for_each_multiply(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": 'module "workers" {\n  source = "./modules/worker"\n  count = 2\n'
                   '  size = "t3.small"\n}\n'
                   'resource "aws_sqs_queue" "jobs" {\n  for_each = toset(["a", "b", "c"])\n}\n'
                   'resource "aws_eip" "ip" {\n  count = var.ips\n}\n'
                   'variable "ips" {\n  default = 4\n}\n',
        "modules/worker/main.tf": 'variable "size" {\n  default = "t3.micro"\n}\n'
                                  'resource "aws_instance" "this" {\n'
                                  '  instance_type = var.size\n}\n',
    })
    result = estimate(tmp_path, traffic="low", region="us-east-1",
                      usage={"aws_sqs_queue.jobs": {"monthly_requests": 1_000_000}},
                      assume=False)
    by_item = {(line.address, line.item): line for line in result.lines}
    instance = by_item[("module.workers.aws_instance.this", "instance (t3.small)")]
    assert instance.quantity == 2 * 730
    assert by_item[("aws_sqs_queue.jobs", "requests (standard)")].quantity == 3.0
    assert by_item[("aws_eip.ip", "public IPv4 address")].quantity == 4 * 730
    assert result.complete


def test_a_count_terraform_decides_is_counted_once_with_a_note(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "aws_eip" "ip" {\n'
                                '  count = length(data.aws_subnets.all.ids)\n}\n'})
    result = estimate(tmp_path, traffic="low", region="us-east-1")
    assert result.total == pytest.approx(730 * 0.005)
    assert any("its count is decided when Terraform runs; counted once" in note
               for note in result.notes)


def test_nothing_is_silently_free(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "aws_mq_broker" "q" {}\n'
                                'resource "aws_instance" "big" {\n'
                                '  instance_type = "x9.galactic"\n}\n'
                                'resource "google_compute_instance" "g" {}\n'
                                'resource "random_id" "suffix" {}\n'
                                'resource "null_resource" "push" {}\n'
                                'resource "aws_iam_role" "r" {}\n'})
    result = estimate(tmp_path, traffic="low", region="us-east-1")
    assert not result.complete
    reasons = {item.address: item.reason for item in result.unpriced}
    assert reasons == {
        "aws_mq_broker.q": "no price in policies/pricing.yaml",
        "aws_instance.big": "instance type x9.galactic is not in policies/pricing.yaml",
        "google_compute_instance.g": "only AWS resources are priced",
    }
    assert result.unpriced_types() == ["aws_instance", "aws_mq_broker",
                                       "google_compute_instance"]
    assert "total (incomplete)" in result.table()


def test_a_region_without_its_own_price_uses_us_east_1_and_says_so(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "aws_nat_gateway" "x" {}\n'})
    result = estimate(tmp_path, traffic="low", region="eu-central-1")
    assert result.total == pytest.approx(730 * 0.045, rel=1e-3)
    assert "nat_gateway_hours: no eu-central-1 price in policies/pricing.yaml; us-east-1's " \
        "used" in result.notes


def test_llm_spend_is_priced_from_the_connector(tmp_path: Path) -> None:
    result = Estimate("us-east-1")
    add_llm_spend(result, [
        LlmUse("summariser", "gpt-4o-mini-2024-07-18", 10_000, 2_000, 500),
        LlmUse("writer", "claude-sonnet-4-20250514", 1_000, 1_000, 1_000),
        LlmUse("mystery", "my-own-model", 100, 10, 10),
        LlmUse("vague", None, None, None, None),
    ])
    expected = (10_000 * 2_000 * 0.15 + 10_000 * 500 * 0.60) / 1e6 + \
        (1_000 * 1_000 * 3.00 + 1_000 * 1_000 * 15.00) / 1e6
    assert result.total == pytest.approx(expected)
    assert [(item.address, item.type) for item in result.unpriced] == [
        ("llm.mystery", "llm"), ("llm.vague", "llm")]
    assert "model my-own-model has no price" in result.unpriced[0].reason


def test_every_llm_model_and_price_is_dated_and_sourced() -> None:
    table = pricing()["llm_models"]
    assert str(table["source"]).startswith("https://") and table["date"]
    for model, entry in table["prices"].items():
        assert entry["input"] > 0 and entry["output"] >= entry["input"], model


def test_for_each_instances_read_their_own_values(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "aws_ebs_volume" "disks" {\n'
                                '  for_each = {\n    small = { size = 10 }\n'
                                '    large = { size = 100 }\n  }\n'
                                '  size = each.value.size\n  type = "gp3"\n}\n'})
    result = estimate(tmp_path, traffic="low", region="us-east-1", assume=False)
    assert {(line.address, line.quantity) for line in result.lines} == {
        ('aws_ebs_volume.disks["small"]', 10.0), ('aws_ebs_volume.disks["large"]', 100.0)}


@pytest.mark.parametrize(("text", "usage", "expected"), [
    # gp3 includes 3,000 IOPS and 125 MB/s
    ('resource "aws_ebs_volume" "x" {\n  size = 10\n  type = "gp3"\n  iops = 4000\n'
     '  throughput = 150\n}\n', {}, 10 * 0.08 + 1000 * 0.005 + 25 * 0.04),
    # RDS provisioned IOPS storage has minimums: 100 GB, 1,000 IOPS
    ('resource "aws_db_instance" "x" {\n  engine = "mysql"\n  instance_class = "db.t3.micro"\n'
     '  storage_type = "io1"\n  allocated_storage = 20\n}\n', {},
     730 * 0.017 + 100 * 0.125 + 1000 * 0.10),
    # tiers: queries beyond the first billion cost half
    ('resource "aws_route53_record" "x" {}\n', {"monthly_standard_queries": 1.5e9},
     1000 * 0.40 + 500 * 0.20),
    # application autoscaling's minimum sets the node groups
    ('resource "aws_elasticache_replication_group" "x" {\n  node_type = "cache.t3.micro"\n'
     '  num_node_groups = 1\n  replicas_per_node_group = 1\n}\n'
     'resource "aws_appautoscaling_target" "groups" {\n  min_capacity = 3\n'
     '  resource_id = "replication-group/${aws_elasticache_replication_group.x.id}"\n'
     '  scalable_dimension = "elasticache:replication-group:NodeGroups"\n}\n', {},
     3 * 2 * 730 * 0.017),
    # DynamoDB: autoscaled capacity at the target's minimum, replicas in their regions
    ('resource "aws_dynamodb_table" "x" {\n  name = "orders"\n  read_capacity = 5\n'
     '  write_capacity = 5\n  replica {\n    region_name = "us-west-1"\n  }\n}\n'
     'resource "aws_appautoscaling_target" "w" {\n  min_capacity = 10\n'
     '  resource_id = "table/orders"\n'
     '  scalable_dimension = "dynamodb:table:WriteCapacityUnits"\n}\n', {},
     10 * 730 * 0.00065 + 5 * 730 * 0.00013 + 10 * 730 * 0.000725),
    # S3 storage classes from a usage file
    ('resource "aws_s3_bucket" "x" {}\n',
     {"standard": {"storage_gb": 100, "monthly_tier_1_requests": 10_000},
      "glacier_deep_archive": {"storage_gb": 1000},
      "intelligent_tiering": {"infrequent_access_storage_gb": 100}},
     100 * 0.023 + 10 * 0.005 + 1000 * 0.00099 + 100 * 0.0125),
])
def test_pricing_rules_beyond_a_flat_rate(tmp_path: Path, text: str, usage: dict[str, Any],
                                          expected: float) -> None:
    write(tmp_path, {"main.tf": text})
    address = next(f"aws_{kind}.x" for kind in ("ebs_volume", "db_instance", "route53_record",
                                                  "elasticache_replication_group",
                                                  "dynamodb_table", "s3_bucket")
                   if f'"aws_{kind}" "x"' in text)
    result = estimate(tmp_path, traffic="low", region="us-east-1",
                      usage={address: usage}, assume=False)
    assert result.total == pytest.approx(expected), result.table()
