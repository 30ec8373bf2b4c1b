"""LLM output and LLM endpoints: nothing an LLM writes runs outside the sandbox, the key
never leaves for another host, and an endpoint's words never drive the terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaffold import sandbox
from scaffold.generation.testgen import validate
from testing.chatserver import ChatServer, Reply, chat_server
from testing.hostile import CappedRun, capped, copy_app, microgate

KEY = "sk-hostile-key-" + "Q" * 32
SHOUT = '\n\ndef shout(text):\n    return text.upper() + "!"\n'


def _answer(body: str, header: str = "from app.core import shout\n") -> str:
    return f"```python\n{header}\n\ndef test_shout():\n{body}\n```\n"


ESCAPES = {
    "builtins-import": "    re.__builtins__['__import__']('os').system('touch PWNED')\n"
                       "    assert shout('a') == 'A!'",
    "subclasses": "    [c for c in ().__class__.__base__.__subclasses__()]\n"
                  "    assert shout('a') == 'A!'",
    "getattr-os": "    getattr(__import__('os'), 'system')('touch PWNED')\n"
                  "    assert shout('a') == 'A!'",
    "globals": "    globals()['__builtins__']\n    assert shout('a') == 'A!'",
    "dunder-string": "    x = '__class__'\n    assert shout('a') == 'A!'",
    "type-new": "    type('X', (), {})\n    assert shout('a') == 'A!'",
    "importlib": "    import importlib\n    importlib.import_module('os')\n"
                 "    assert shout('a') == 'A!'",
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_the_validator_refuses_known_sandbox_escapes(case: str) -> None:
    code = _answer(ESCAPES[case], header="import re\nfrom app.core import shout\n")
    source = code.split("```python\n", 1)[1].rsplit("```", 1)[0]
    assert validate(source, "app.core"), f"{case} passed validation"


@pytest.fixture
def llm_app(pristine_app: Path, tmp_path: Path) -> Iterator[Path]:
    repo = copy_app(pristine_app, tmp_path / "app")
    core = repo / "app" / "core.py"
    core.write_text(core.read_text(encoding="utf-8") + SHOUT, encoding="utf-8")
    yield repo


def _generate(repo: Path, server: ChatServer, *args: str,
              extra_env: dict[str, str] | None = None) -> CappedRun:
    env = {"MICROGATE_LLM_BASE_URL": server.url, "MICROGATE_LLM_MODEL": "test-model",
           "MICROGATE_LLM_API_KEY": KEY, "MICROGATE_LLM_TIMEOUT": "10", **(extra_env or {})}
    return microgate("tests", "generate", "--repo", str(repo), "--on-failure", "drop", *args,
                     env=env, timeout=400)


def test_a_looping_generated_test_is_stopped_dropped_and_leaves_no_file(llm_app: Path) -> None:
    looping = _answer("    while True:\n        pass\n    assert shout('a') == 'A!'")
    before = (llm_app / "tests" / "test_core.py").read_text(encoding="utf-8")
    with chat_server(ChatServer(default=lambda body: Reply(content=looping))) as server:
        result = _generate(llm_app, server)
    assert "took longer than" in result.output or "stopped" in result.output
    assert (llm_app / "tests" / "test_core.py").read_text(encoding="utf-8") == before
    assert "test_shout" not in before


def test_an_escape_attempt_never_runs(llm_app: Path) -> None:
    escape = _answer(ESCAPES["builtins-import"], header="import re\nfrom app.core import shout\n")
    with chat_server(ChatServer(default=lambda body: Reply(content=escape))) as server:
        result = _generate(llm_app, server)
    assert not (llm_app / "PWNED").exists()
    assert "rejected" in result.output
    assert "__import__" not in (llm_app / "tests" / "test_core.py").read_text("utf-8")


def test_without_a_sandbox_the_llm_tests_are_written_for_review_not_run(llm_app: Path) -> None:
    answer = _answer("    assert shout('a') == 'A!'")
    with chat_server(ChatServer(default=lambda body: Reply(content=answer))) as server:
        result = _generate(llm_app, server, extra_env={"MICROGATE_SANDBOX": "off"})
    out = result.output
    assert "for review, not run" in out
    assert "def test_shout" in (llm_app / "tests" / "test_core.py").read_text("utf-8")


@pytest.mark.skipif(not sandbox.available(), reason="bubblewrap does not work here")
@pytest.mark.parametrize("attack,evidence", [
    ("open('{outside}', 'w').write('x')", "Read-only file system"),
    # The server listens on the machine's loopback; the sandbox has a loopback of its own.
    ("import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)",
     "Connection refused"),
    ("bytearray(3 * 1024**3)", "MemoryError"),
    ("open('written-in-the-repo.txt', 'w')", "Read-only file system"),
])
def test_the_sandbox_contains_what_a_test_might_do(tmp_path: Path, attack: str,
                                                   evidence: str) -> None:
    outside = Path("/var/tmp") / f"microgate-sandbox-probe-{tmp_path.name}"
    with chat_server() as server:
        port = server.url.split(":")[2].split("/")[0]
        code = attack.format(outside=outside, port=port)
        done = sandbox.run([sys.executable, "-c", code], tmp_path, timeout=60)
    assert done.returncode != 0
    assert evidence in done.output, done.output
    assert not outside.exists()
    assert not (tmp_path / "written-in-the-repo.txt").exists()


@pytest.mark.skipif(not sandbox.available(), reason="bubblewrap does not work here")
def test_the_sandbox_stops_a_process_that_runs_too_long(tmp_path: Path) -> None:
    done = sandbox.run([sys.executable, "-c", "while True: pass"], tmp_path, timeout=2)
    assert done.timed_out


def test_the_key_is_never_sent_to_the_host_a_redirect_names(llm_app: Path) -> None:
    with chat_server() as other:
        redirect = Reply(status=302, raw=b"",
                         headers=(("Location", other.url + "/chat/completions"),))
        with chat_server(ChatServer(default=lambda body: redirect)) as server:
            result = _generate(llm_app, server)
        assert other.requests == []
    assert "redirected" in result.output
    assert KEY not in result.output


def test_terminal_escapes_in_an_endpoint_error_are_stripped(llm_app: Path) -> None:
    hostile = b'{"error": {"message": "bad \\u001b]0;owned\\u0007\\u001b[2J model"}}'
    with chat_server(ChatServer(default=lambda body: Reply(status=400, raw=hostile))) as server:
        result = _generate(llm_app, server)
    out = result.output
    assert "\x1b" not in out and "\x07" not in out
    assert "bad ]0;owned[2J model" in out


@pytest.mark.parametrize("value", ["nan", "-1", "inf", "0", "abc", "1e9"])
def test_a_nonsense_timeout_is_a_clear_error(llm_app: Path, value: str) -> None:
    env = {"MICROGATE_LLM_BASE_URL": "http://127.0.0.1:9/v1", "MICROGATE_LLM_MODEL": "m",
           "MICROGATE_LLM_TIMEOUT": value}
    result = capped([sys.executable, "-m", "scaffold", "tests", "generate", "--repo",
                     str(llm_app)], env=env, timeout=60)
    result.assert_clean_error()
    assert "MICROGATE_LLM_TIMEOUT must be a number of seconds" in result.output
