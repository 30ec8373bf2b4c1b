"""One redaction layer for everything microgate prints or writes as a report.

Checks quote the files they read (a requirement, a ``FROM`` line, a manifest field, a
YAML error's snippet), and a file may hold a secret. Rather than trusting every message
to leave secrets out, :func:`redacting_output` wraps ``sys.stdout`` and ``sys.stderr``
for the whole run of a command or hook, and report files pass through :func:`redact`.
The patterns are the secrets check's own rules plus the ``redact`` list of
``policies/secrets.yaml``; they are compiled on the first write, so a hook that prints
nothing pays nothing.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any, TextIO

REDACTED = "[redacted]"


@cache
def _rules() -> Any:
    """The secrets check's rule matcher, or None when its rules cannot be read."""
    from scaffold.errors import MicrogateError

    try:
        from scaffold.engines.secrets import default_secrets_policy, load_rules
        from scaffold.engines.secrets.rules import RuleMatcher

        return RuleMatcher(load_rules(default_secrets_policy()))
    except (ImportError, OSError, ValueError, KeyError, TypeError, AttributeError,
            MicrogateError):
        return None


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    from scaffold.errors import MicrogateError
    from scaffold.resources import load_policy

    try:
        raw = load_policy("secrets.yaml") or {}
        sources = [str(r) for r in raw.get("redact") or []]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, MicrogateError):
        sources = []
    compiled = []
    for source in sources:
        try:
            compiled.append(re.compile(source))
        except re.error:
            continue
    # Without a policy, still never print the commonest leaks.
    compiled.append(re.compile(r"://[^/\s:@]*:([^@\s/]{3,})@"))
    return tuple(compiled)


def prepare() -> None:
    """Compile the patterns now (while waiting on something else) rather than at the
    first write."""
    _rules()
    _patterns()


def _replace(match: re.Match[str]) -> str:
    if match.re.groups == 0 or match.group(1) is None:
        return REDACTED
    start, end = match.span(1)
    whole_start = match.start()
    text = match.group(0)
    return text[: start - whole_start] + REDACTED + text[end - whole_start:]


def redact(text: str) -> str:
    """``text`` with every secret the detectors know replaced by ``[redacted]``."""
    if not text or len(text) < 8:
        return text
    matcher = _rules()
    if matcher is not None:
        # Every secret a rule finds, placeholders included: a message is no place to judge.
        # Provider formats only: the generic rules judge context, which a message lacks;
        # password-like assignments are in the redact list below.
        found = {match.secret for match in matcher.matches(text, "") if not match.rule.generic}
        for secret in sorted(found, key=len, reverse=True):
            if len(secret) >= 6:
                text = text.replace(secret, REDACTED)
    for pattern in _patterns():
        text = pattern.sub(_replace, text)
    return text


class RedactingStream(io.TextIOBase):
    """A text stream that redacts each write before passing it on."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target

    def write(self, text: str) -> int:
        self.target.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")

    def writable(self) -> bool:
        return True


@contextmanager
def redacting_output() -> Iterator[None]:
    """Redact everything written to stdout and stderr inside the block."""
    if isinstance(sys.stdout, RedactingStream):
        yield
        return
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(stdout)
    sys.stderr = RedactingStream(stderr)
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            sys.stdout, sys.stderr = stdout, stderr
