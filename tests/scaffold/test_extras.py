"""The wizard's packages, named in one line where a command needs them and they are not
installed (the hook environments' case: tests/hooks/test_pre_commit.py runs there)."""

from __future__ import annotations

import pytest

from scaffold.errors import EXIT_FAILED, error_handler
from scaffold.extras import WIZARD_PACKAGES, WizardMissing, require_wizard


def test_installed_packages_pass() -> None:
    require_wizard(*WIZARD_PACKAGES)  # the test environment has the `wizard` extra


def test_a_missing_package_is_named_with_the_command_to_install_it() -> None:
    with pytest.raises(WizardMissing) as raised:
        require_wizard("copier", "no_such_wizard_module")
    assert raised.value.message == (
        "this command needs the wizard's packages (no_such_wizard_module not installed): "
        "pip install 'microgate[wizard]'")


def test_an_import_of_a_missing_wizard_package_is_one_line_not_a_crash(
        capsys: pytest.CaptureFixture[str]) -> None:
    def imports_questionary() -> int:
        raise ModuleNotFoundError("No module named 'questionary'", name="questionary")

    assert error_handler(imports_questionary) == EXIT_FAILED
    assert capsys.readouterr().err == (
        "microgate: this command needs the wizard's packages (questionary not installed): "
        "pip install 'microgate[wizard]'\n")


def test_any_other_missing_module_is_an_internal_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    def imports_nothing_known() -> int:
        raise ModuleNotFoundError("No module named 'zzz'", name="zzz")

    assert error_handler(imports_nothing_known) == 3
    assert "internal error: ModuleNotFoundError" in capsys.readouterr().err
