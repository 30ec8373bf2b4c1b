"""YAML reading with libyaml's C loader where it is installed (several times faster)."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class InvalidYaml(ValueError):
    """Text that is not YAML; a ValueError, so that readers of data files catch it as such."""

    def __init__(self, error: yaml.YAMLError) -> None:
        super().__init__(str(error))
        self.problem_mark = getattr(error, "problem_mark", None)
        self.problem = getattr(error, "problem", None)


def load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise InvalidYaml(exc) from exc
