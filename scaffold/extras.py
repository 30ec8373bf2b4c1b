"""The packages of the `wizard` extra, asked for where a command needs them.

The hook suite's environments install microgate without them (pre-commit builds three
such environments on every machine that commits to an app), so `microgate new`,
`lock`, `update` and `fleet update` check for them and say how to add them, in one
line, rather than failing in an import or in a child process.
"""

from __future__ import annotations

import importlib.util

from scaffold.errors import MicrogateError

# module -> the distribution that provides it
WIZARD_PACKAGES = {
    "copier": "copier",
    "questionary": "questionary",
    "piptools": "pip-tools",
    "pre_commit": "pre-commit",
}
INSTALL_HINT = "pip install 'microgate[wizard]'"


class WizardMissing(MicrogateError):
    """A package of the `wizard` extra is not installed here."""


def missing_wizard_message(modules: list[str]) -> str:
    names = ", ".join(WIZARD_PACKAGES.get(m, m) for m in modules)
    return f"this command needs the wizard's packages ({names} not installed): {INSTALL_HINT}"


def require_wizard(*modules: str) -> None:
    """Raise WizardMissing unless every module named (keys of WIZARD_PACKAGES) imports."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise WizardMissing(missing_wizard_message(missing))
