"""microgate-suite: the fast checks in one process (scaffold/checks/runner.py: SUITE)."""

from __future__ import annotations

from collections.abc import Sequence

from scaffold.checks.runner import suite_main


def main(argv: Sequence[str] | None = None) -> int:
    return suite_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
