"""The one user-facing error type, and the one place that maps errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_UNSAFE_TEMPLATE = 4
EXIT_CONFLICTS = 5  # an update left merge conflicts to resolve
EXIT_CANCELLED = 130
CANCELLED = "microgate: cancelled; nothing was written."


class MicrogateError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class ToolMissing(MicrogateError):
    """A scanner a check needs is not installed here (and cannot be installed now)."""


class UsageError(MicrogateError):
    """The command's words or its input data are wrong."""

    exit_code = EXIT_USAGE


class UnsafeTemplateError(MicrogateError):
    """A template wants to run code (tasks, Jinja extensions) and is not trusted."""

    exit_code = EXIT_UNSAFE_TEMPLATE


class Cancelled(MicrogateError):
    """The user stopped the command (Ctrl-C, or 'no' at a confirm step)."""

    exit_code = EXIT_CANCELLED


def _crash_log_path() -> Path:
    import tempfile

    from scaffold.userdirs import cache_dir

    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        path = Path(tempfile.gettempdir())
    return path / "microgate.log"


def error_handler(func: Callable[[], int]) -> int:
    """Run ``func`` and turn every failure into a message and an exit code.

    Everything it prints passes through the redaction layer: no secret a file holds
    reaches the terminal, whichever message quotes it.
    """
    from scaffold.redact import redacting_output

    with redacting_output():
        return _handle_errors(func)


def _handle_errors(func: Callable[[], int]) -> int:
    try:
        return func()
    except MicrogateError as exc:
        print(f"microgate: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except (RecursionError, MemoryError) as exc:
        what = "too deeply nested" if isinstance(exc, RecursionError) else "too large"
        print(f"microgate: the input is {what} to read safely; nothing was written",
              file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        # The machine said no (a full disk, a read-only folder, a missing one): not a bug.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"microgate: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(CANCELLED, file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # noqa: BLE001 - the last resort is a log, not a traceback
        if isinstance(exc, ModuleNotFoundError):
            from scaffold.extras import WIZARD_PACKAGES, missing_wizard_message

            package = (exc.name or "").partition(".")[0]
            if package in WIZARD_PACKAGES:  # installed without the `wizard` extra
                print(f"microgate: {missing_wizard_message([package])}", file=sys.stderr)
                return EXIT_FAILED
        import traceback

        from scaffold.redact import redact

        log = _crash_log_path()
        try:
            log.write_text(redact(traceback.format_exc()), encoding="utf-8")
            where = f" (details in {log}; please attach it to a bug report)"
        except OSError:
            where = ""
        print(f"microgate: internal error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return EXIT_INTERNAL
