"""A CycloneDX SBOM of the app's pinned dependencies, with what microgate knows of them:
each package's license (.microgate/licenses.json) and its known vulnerabilities
(.microgate/vulns.json), accepted ones marked as such."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from scaffold.errors import MicrogateError


def build_sbom(repo: Path, app_name: str | None = None, today: dt.date | None = None) -> str:
    """The SBOM as CycloneDX 1.6 JSON text."""
    try:
        from cyclonedx.model.bom import Bom
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.model.impact_analysis import ImpactAnalysisState
        from cyclonedx.model.license import LicenseExpression
        from cyclonedx.model.vulnerability import (
            BomTarget,
            Vulnerability,
            VulnerabilityAnalysis,
            VulnerabilityRating,
            VulnerabilityReference,
            VulnerabilitySeverity,
            VulnerabilitySource,
        )
        from cyclonedx.output import make_outputter
        from cyclonedx.schema import OutputFormat, SchemaVersion
        from packageurl import PackageURL
    except ImportError:
        raise MicrogateError("the SBOM needs cyclonedx-python-lib: pip install "
                             "'microgate[sbom]'") from None
    from scaffold.engines.deps.advisories import read_accepted, read_cache
    from scaffold.engines.deps.lockfiles import lockfiles, read_pinned
    from scaffold.engines.deps.osv import by_package, vulnerabilities
    from scaffold.engines.licenses import read_cache as read_licenses

    today = today or dt.date.today()
    pinned, _ = read_pinned(repo, lockfiles(repo))
    if not pinned:
        raise MicrogateError(f"{repo}: no pinned dependencies (requirements*.txt): run "
                             "'microgate lock' first")
    licenses: dict[str, dict[str, Any]] = {}
    try:
        licenses = read_licenses(repo)
    except MicrogateError:
        pass
    cache = read_cache(repo)
    grouped = by_package(cache.advisories)
    accepted = {a.id: a for a in read_accepted(repo)[0] if a.until >= today}
    bom = Bom()
    if app_name:
        bom.metadata.component = Component(name=app_name, type=ComponentType.APPLICATION,
                                           bom_ref=f"app:{app_name}")
    seen: dict[str, Any] = {}
    for pin in sorted(pinned):
        key = f"{pin.name}=={pin.version}"
        if key in seen:
            continue
        purl = PackageURL("pypi", name=pin.name, version=pin.version)
        component = Component(name=pin.name, version=pin.version, type=ComponentType.LIBRARY,
                              purl=purl, bom_ref=purl.to_string())
        license_id = (licenses.get(key) or {}).get("license")
        if license_id and license_id != "UNKNOWN":
            component.licenses.add(LicenseExpression(str(license_id)))
        bom.components.add(component)
        seen[key] = component
        for flaw in vulnerabilities(grouped.get(pin.name, []), pin.name, pin.version):
            vulnerability = Vulnerability(
                bom_ref=f"{flaw.id}:{key}", id=flaw.id, description=flaw.summary or None,
                source=VulnerabilitySource(name="OSV"),
                references=[VulnerabilityReference(id=alias,
                                                   source=VulnerabilitySource(name="OSV"))
                            for alias in flaw.ids[1:]],
                affects=[BomTarget(ref=component.bom_ref.value or purl.to_string())],
                recommendation=(f"upgrade to {fixed}"
                                if (fixed := cache.usable_fix(pin.name, flaw.fixed)) else None))
            severity = VulnerabilitySeverity(flaw.severity) if flaw.severity != "unknown" \
                else VulnerabilitySeverity.UNKNOWN
            score = Decimal(str(flaw.score)) if flaw.score is not None else None
            vulnerability.ratings.add(VulnerabilityRating(severity=severity, score=score))
            acceptance = next((accepted[i] for i in flaw.ids if i in accepted), None)
            if acceptance is not None:
                vulnerability.analysis = VulnerabilityAnalysis(
                    state=ImpactAnalysisState.EXPLOITABLE,
                    detail=f"risk accepted by {acceptance.who} until {acceptance.until}: "
                           f"{acceptance.reason}")
            bom.vulnerabilities.add(vulnerability)
    if bom.metadata.component is not None:
        bom.register_dependency(bom.metadata.component, list(seen.values()))
    outputter = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6)
    return outputter.output_as_string(indent=2) + "\n"
