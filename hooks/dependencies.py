"""microgate-dependencies: the pre-commit hook over scaffold/checks/dependencies.py."""

from __future__ import annotations

from collections.abc import Sequence

from scaffold.checks.runner import hook_main


def main(argv: Sequence[str] | None = None) -> int:
    return hook_main("dependencies", argv)


if __name__ == "__main__":
    raise SystemExit(main())
