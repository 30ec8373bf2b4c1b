"""microgate-manifest: microapp.yaml is valid and within its tier's rules."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from scaffold.checks.manifest import check_manifest
from scaffold.errors import handles_errors
from scaffold.findings import exit_code, print_findings


@handles_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="microgate-manifest", description=__doc__)
    parser.add_argument("filenames", nargs="*", help="ignored: the manifest is always checked")
    parser.parse_args(argv)
    findings = check_manifest(Path.cwd())
    print_findings(findings)
    return exit_code(findings)


if __name__ == "__main__":
    raise SystemExit(main())
