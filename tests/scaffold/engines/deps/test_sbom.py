"""`microgate sbom`: CycloneDX 1.6 of the pins, with licenses and vulnerabilities, valid
against CycloneDX's own schema; and `microgate risk` counts accepted vulnerabilities."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from scaffold.checks.vulns import accepted_count
from scaffold.engines.deps.sbom import build_sbom
from scaffold.engines.risk import score
from testing.util import microgate

HASH = " --hash=sha256:" + "0" * 64
FLAW = {"id": "GHSA-9999-ssss-0001", "aliases": ["CVE-9999-1000"], "summary": "A flaw",
        "database_specific": {"severity": "HIGH"},
        "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "3.1.5"}]}]}]}


def app_with_caches(root: Path, accepted: bool = False) -> Path:
    app = root / "shop"
    (app / ".microgate").mkdir(parents=True)
    (app / "requirements.txt").write_text(f"jinja2==3.1.4{HASH}\nmarkupsafe==2.1.5{HASH}\n")
    (app / ".microgate" / "licenses.json").write_text(json.dumps({"packages": {
        "jinja2==3.1.4": {"license": "BSD-3-Clause", "source": "test"},
        "markupsafe==2.1.5": {"license": "BSD-3-Clause", "source": "test"}}}))
    (app / ".microgate" / "vulns.json").write_text(json.dumps(
        {"schema": 1, "source": "test", "packages": ["jinja2", "markupsafe"],
         "advisories": [FLAW]}))
    if accepted:
        until = (dt.date.today() + dt.timedelta(days=10)).isoformat()
        (app / ".microgate" / "vulns-accepted.yaml").write_text(
            f"accepted:\n  - id: CVE-9999-1000\n    reason: not reachable\n"
            f"    who: ana@example.com\n    until: {until}\n")
    return app


def test_the_sbom_lists_pins_licenses_and_vulnerabilities(tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = build_sbom(app_with_caches(tmp_path, accepted=True), app_name="shop")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    components = {c["name"]: c for c in bom["components"]}
    assert components["jinja2"]["purl"] == "pkg:pypi/jinja2@3.1.4"
    assert components["markupsafe"]["licenses"] == [{"expression": "BSD-3-Clause"}]
    [vulnerability] = bom["vulnerabilities"]
    assert vulnerability["id"] == "GHSA-9999-ssss-0001"
    assert vulnerability["ratings"][0]["severity"] == "high"
    assert vulnerability["recommendation"] == "upgrade to 3.1.5"
    assert vulnerability["affects"] == [{"ref": "pkg:pypi/jinja2@3.1.4"}]
    assert "accepted by ana@example.com" in vulnerability["analysis"]["detail"]


def test_the_command_writes_it_and_refuses_a_repo_without_pins(tmp_path: Path) -> None:
    app = app_with_caches(tmp_path)
    result = microgate("sbom", str(app), "--output", str(tmp_path / "sbom.json"))
    assert result.returncode == 0, result.output
    assert json.loads((tmp_path / "sbom.json").read_text())["bomFormat"] == "CycloneDX"
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = microgate("sbom", str(empty))
    assert refused.returncode == 1
    assert "no pinned dependencies" in refused.stderr


def test_risk_counts_accepted_vulnerabilities(tmp_path: Path) -> None:
    from scaffold import default_policy, to_manifest
    from testing.util import answers

    app = app_with_caches(tmp_path, accepted=True)
    assert accepted_count(app) == 1
    manifest = to_manifest(answers(), default_policy())
    with_risk = score(manifest, {}, accepted_vulnerabilities=accepted_count(app))
    without = score(manifest, {})
    assert with_risk.score > without.score
    assert "1 accepted vulnerability" in with_risk.explain()
