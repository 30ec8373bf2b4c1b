"""What scripts/previews.py tears down, and what it keeps serving."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "previews", Path(__file__).resolve().parents[1] / "scripts" / "previews.py")
assert SPEC is not None and SPEC.loader is not None
previews = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(previews)

NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.timezone.utc)
CUTOFF = NOW - dt.timedelta(hours=72)
OLD = "2026-06-01T09:00:00.000+0000"
NEW = "2026-06-10T09:00:00.000+0000"


def test_aws_timestamps_in_every_form_are_read() -> None:
    expected = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
    assert previews.parse_time("2026-06-01T09:00:00.000+0000") == expected
    assert previews.parse_time("2026-06-01T09:00:00+00:00") == expected
    assert previews.parse_time("2026-06-01T09:00:00Z") == expected
    assert previews.parse_time(expected.timestamp()) == expected


def test_old_previews_go_and_what_serves_production_stays() -> None:
    versions = [{"Version": "$LATEST", "LastModified": OLD}] + [
        {"Version": str(n), "LastModified": OLD} for n in range(1, 7)]
    aliases = [{"Name": "live", "FunctionVersion": "4",
                "RoutingConfig": {"AdditionalVersionWeights": {"5": 0.1}}},
               {"Name": "preview", "FunctionVersion": "6"}]
    doomed, reset_preview = previews.expired_versions(versions, aliases, CUTOFF)
    # live (4), its canary (5) and the release before live (3) stay; the old preview goes.
    assert doomed == ["1", "2", "6"]
    assert reset_preview


def test_a_preview_within_its_time_to_live_stays() -> None:
    versions = [{"Version": "1", "LastModified": OLD}, {"Version": "2", "LastModified": NEW}]
    aliases = [{"Name": "live", "FunctionVersion": "1"},
               {"Name": "preview", "FunctionVersion": "2"}]
    assert previews.expired_versions(versions, aliases, CUTOFF) == ([], False)


def test_old_task_definitions_go_but_the_service_and_its_rollback_stay() -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:{}".format
    definitions = [{"taskDefinitionArn": arn(n), "revision": n, "registeredAt": OLD}
                   for n in range(1, 6)]
    definitions[-1]["registeredAt"] = NEW
    doomed = previews.expired_task_definitions(definitions, arn(3), CUTOFF)
    assert doomed == [arn(1), arn(4)]
