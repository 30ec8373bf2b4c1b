"""The scanner finds what detect-secrets finds (same engine), on any text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.engines.secrets import DroppedCandidate, SecretScanner
from testing.fakes import secret_line

SNIPPETS = [
    'password = "hunter2-Very-Secret-9f8e7d"',
    "db_pass: Xk29sLq0Zm1WqErTy",
    'secret = get_secret_key()',
    'api_key = request.headers["apikey"]',
    '"a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4"',
    "'TWFuIGlzIGRpc3Rpbmd1aXNoZWQsIG5vdCBvbmx5IGJ5IGhpcyByZWFzb24'",
    "# pragma: allowlist nextline secret",
    "token: ghp_aBcDeFgHiJaBcDeFgHiJaBcDeFgHiJkLmNoP",
    "url = 'https://user:p4ssw0rd@example.com/path'",
    "[section]",
    "key = AKIAIOSFODNN7EXAMPLE",
    "x = 1",
    "",
    secret_line("slack-token"),
    secret_line("openai"),
]
SUFFIXES = [".py", ".yaml", ".ini", ".md", ".json", ".txt"]


def detect_secrets_findings(path: Path) -> set[tuple[int, str]]:
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    with default_settings():
        return {(s.line_number, s.secret_hash) for s in scan_file(str(path))}


@pytest.fixture(scope="module")
def scanner() -> SecretScanner:
    return SecretScanner()


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.one_of(st.sampled_from(SNIPPETS),
                  st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=120)),
        max_size=25,
    ),
    suffix=st.sampled_from(SUFFIXES),
)
def test_finds_everything_detect_secrets_finds(tmp_path_factory: pytest.TempPathFactory,
                                               scanner: SecretScanner, lines: list[str],
                                               suffix: str) -> None:
    path = tmp_path_factory.mktemp("scan") / f"sample{suffix}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    theirs = detect_secrets_findings(path)
    text = path.read_text(encoding="utf-8")
    dropped: list[DroppedCandidate] = []
    findings = scanner.findings_in_text(text, str(path), dropped)
    ours = {(f.line, digest) for f in findings for digest in (f.hashed_secret, *f.aliases)}
    rejected = {(d.line, d.hashed_secret) for d in dropped if d.reason}
    # Every finding of detect-secrets is reported, or rejected for a reason that is named.
    assert theirs <= ours | rejected, (theirs - ours - rejected, text)


@pytest.mark.parametrize("text", [
    "import sklearn  # sk-learn is a library, not a key",
    "from huggingface_hub import hf_hub_download",
    'AIza = "short"',
    "postgres://localhost/app",
    "mysql://user@host/db",
    "sk-ant-short",
])
def test_lookalikes_are_not_secrets(tmp_path: Path, scanner: SecretScanner, text: str) -> None:
    path = tmp_path / "code.py"
    path.write_text(text + "\n")
    assert scanner.scan_file(path, "code.py") == ([], None)


def test_candidate_lines_skip_ordinary_code(scanner: SecretScanner) -> None:
    lines = ["def add(a, b):\n", "    return a + b\n", "print('hello')\n",
             secret_line("aws") + "\n"]
    assert scanner.candidate_lines(lines) == {4}


def test_candidate_lines_are_counted_by_line_when_a_line_holds_a_newline(
        scanner: SecretScanner) -> None:
    """A transformer's line (a YAML block value, as checkov's fork of detect-secrets gives
    it) may hold newlines: the numbers stay those of the lines given."""
    lines = ["description: |\n  one\n  two\n  three\n", "name: app\n",
             secret_line("aws") + "\n"]
    assert scanner.candidate_lines(lines) == {3}
