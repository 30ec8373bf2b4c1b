"""Dependencies an app pins: known vulnerabilities (OSV advisories), names that should
not be there (look-alikes, brand-new releases, imports nothing provides), the platform's
curated set, and the SBOM."""
