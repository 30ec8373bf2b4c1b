"""OSV matching on records written here to the schema: ranges, lists, PEP 440 ordering,
aliases, withdrawn advisories and severity."""

from __future__ import annotations

from typing import Any

import pytest

from scaffold.engines.deps.osv import affects, cvss3_base_score, severity, vulnerabilities


def record(id_: str, *events: dict[str, str], versions: list[str] | None = None,
           package: str = "demo-lib", **extra: Any) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": package}}
    if events:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": list(events)}]
    if versions:
        affected["versions"] = versions
    return {"id": id_, "affected": [affected], **extra}


SPAN = record("OSV-1", {"introduced": "0"}, {"fixed": "2.0"})


@pytest.mark.parametrize("version,hit,fix", [
    ("1.0", True, "2.0"),
    ("1.9.9", True, "2.0"),
    ("2.0rc1", True, "2.0"),  # a pre-release of the fix is still before it
    ("2.0", False, None),
    ("2.0.post1", False, None),  # a post-release comes after
    ("1!0.5", False, None),  # epoch 1 is after every epoch-0 version
    ("not a version", False, None),
])
def test_a_fixed_range_in_pep440_order(version: str, hit: bool, fix: str | None) -> None:
    assert affects(SPAN, "demo-lib", version) == (hit, fix)


def test_several_spans_and_a_reintroduced_flaw() -> None:
    flaw = record("OSV-2", {"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"},
                  {"fixed": "2.3"})
    assert affects(flaw, "demo-lib", "0.9") == (False, None)
    assert affects(flaw, "demo-lib", "1.1") == (True, "1.2")
    assert affects(flaw, "demo-lib", "1.5") == (False, None)
    assert affects(flaw, "demo-lib", "2.1") == (True, "2.3")


def test_last_affected_has_no_fix() -> None:
    flaw = record("OSV-3", {"introduced": "0"}, {"last_affected": "3.1"})
    assert affects(flaw, "demo-lib", "3.1") == (True, None)
    assert affects(flaw, "demo-lib", "3.1.1") == (False, None)


def test_an_explicit_versions_list() -> None:
    flaw = record("OSV-4", versions=["1.0", "1.0.1"])
    assert affects(flaw, "demo-lib", "1.0.1")[0]
    assert affects(flaw, "demo-lib", "1.0.0")[0]  # PEP 440: 1.0.0 == 1.0
    assert not affects(flaw, "demo-lib", "1.0.2")[0]


def test_another_package_or_ecosystem_does_not_match() -> None:
    other = record("OSV-5", {"introduced": "0"}, package="other-lib")
    npm = record("OSV-6", {"introduced": "0"})
    npm["affected"][0]["package"]["ecosystem"] = "npm"
    assert not affects(other, "demo-lib", "1.0")[0]
    assert not affects(npm, "demo-lib", "1.0")[0]
    # names match the way PEP 503 normalises them
    assert affects(record("OSV-7", {"introduced": "0"}, package="Demo_Lib"), "demo-lib",
                   "1.0")[0]


def test_a_withdrawn_advisory_is_ignored() -> None:
    withdrawn = {**SPAN, "withdrawn": "2024-01-01T00:00:00Z"}
    assert affects(withdrawn, "demo-lib", "1.0") == (False, None)


def test_aliases_are_one_flaw_with_the_highest_fix_and_severity() -> None:
    pysec = record("PYSEC-2020-1", {"introduced": "0"}, {"fixed": "2.0"},
                   aliases=["CVE-2020-0001"], summary="template injection")
    ghsa = record("GHSA-aaaa-bbbb-cccc", {"introduced": "0"}, {"fixed": "2.0.1"},
                  aliases=["CVE-2020-0001"],
                  database_specific={"severity": "HIGH"})
    unrelated = record("PYSEC-2021-9", {"introduced": "0"}, {"fixed": "1.5"})
    found = vulnerabilities([pysec, ghsa, unrelated], "demo-lib", "1.0")
    assert [(v.id, v.fixed, v.severity) for v in found] == [
        ("GHSA-aaaa-bbbb-cccc", "2.0.1", "high"), ("PYSEC-2021-9", "1.5", "unknown")]
    assert set(found[0].ids) == {"GHSA-aaaa-bbbb-cccc", "PYSEC-2020-1", "CVE-2020-0001"}


@pytest.mark.parametrize("vector,score", [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0),
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P", None),  # CVSS 2 is not read
])
def test_cvss3_base_scores(vector: str, score: float | None) -> None:
    assert cvss3_base_score(vector) == score


def test_severity_from_the_vector_else_the_database_word() -> None:
    scored = {"severity": [{"type": "CVSS_V3",
                            "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}
    assert severity(scored) == ("critical", 9.8)
    assert severity({"database_specific": {"severity": "MODERATE"}}) == ("medium", None)
    assert severity({}) == ("unknown", None)
