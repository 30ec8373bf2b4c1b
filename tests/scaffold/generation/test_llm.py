"""The chat-completions client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest

from scaffold.generation.llm import ChatClient, ChatRequest, LLMError, LLMSettings
from testing.chatserver import ChatServer, Reply, chat_server

KEY = "sk-test-0123456789abcdefghijklmnop"


def client(url: str, **settings: float) -> ChatClient:
    return ChatClient(LLMSettings(base_url=url, model="test-model", key_variable="TEST_LLM_KEY",
                                  **settings))  # type: ignore[arg-type]


def ask(chat: ChatClient) -> str:
    return chat.complete(ChatRequest([{"role": "user", "content": "hi"}], model="test-model"))


def test_a_good_answer_is_returned_and_the_request_is_deterministic(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", KEY)
    with chat_server(ChatServer([Reply(content="hello")])) as server:
        assert ask(client(server.url)) == "hello"
    (request,) = server.requests
    assert request["body"]["temperature"] == 0
    assert request["body"]["seed"] == 1234
    assert request["body"]["model"] == "test-model"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"


def test_429_then_success_is_retried_after_the_servers_delay() -> None:
    script = [Reply(429, raw=b'{"error": {"message": "slow down"}}',
                    headers=(("Retry-After", "0.2"),)),
              Reply(503, raw=b"busy"), Reply(content="made it")]
    with chat_server(ChatServer(script)) as server:
        chat = client(server.url, backoff_seconds=0.01)
        started = time.monotonic()
        assert ask(chat) == "made it"
    assert len(server.requests) == 3
    assert time.monotonic() - started >= 0.2  # Retry-After was honoured


def test_a_server_that_keeps_failing_gives_up_with_a_clear_message() -> None:
    with chat_server(ChatServer(default=lambda body: Reply(500, raw=b"down"))) as server:
        with pytest.raises(LLMError, match=r"kept failing \(HTTP 500\) after 3 attempts"):
            ask(client(server.url, backoff_seconds=0.01, retries=2))
    assert len(server.requests) == 3


def test_a_timeout_is_retried_then_reported() -> None:
    with chat_server(ChatServer(default=lambda body: Reply(content="late", delay=1.5))) as server:
        with pytest.raises(LLMError, match="no answer within 0.3 s"):
            ask(client(server.url, timeout_seconds=0.3, retries=1, backoff_seconds=0.01))
    assert len(server.requests) == 2


def test_malformed_json_is_an_error_not_a_crash() -> None:
    with chat_server(ChatServer([Reply(raw=b'{"choices": [ {"mess')])) as server:
        with pytest.raises(LLMError, match="not a chat completion"):
            ask(client(server.url))


def test_a_refused_key_names_the_variable_never_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", KEY)
    with chat_server(ChatServer([Reply(401, raw=b'{"error": {"message": "bad key"}}')])) as s:
        with pytest.raises(LLMError) as caught:
            ask(client(s.url))
    assert "$TEST_LLM_KEY" in caught.value.message
    assert KEY not in caught.value.message


def test_an_endpoint_that_is_down_says_so() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LLMError, match="is not reachable .*is it running"):
        ask(client(f"http://127.0.0.1:{port}/v1", retries=0))


@pytest.mark.parametrize(("environ", "message"), [
    ({"MICROGATE_LLM_BASE_URL": "http://x/v1"}, "MICROGATE_LLM_MODEL is not"),
    ({"MICROGATE_LLM_BASE_URL": "ftp://x", "MICROGATE_LLM_MODEL": "m"}, "must start with http"),
    ({"MICROGATE_LLM_BASE_URL": "http://x", "MICROGATE_LLM_MODEL": "m",
      "MICROGATE_LLM_TIMEOUT": "soon"}, "a number of seconds"),
])
def test_wrong_settings_are_one_clear_line(environ: dict[str, str], message: str) -> None:
    with pytest.raises(LLMError, match=message):
        LLMSettings.from_environment(environ)


def test_no_base_url_means_no_llm() -> None:
    assert LLMSettings.from_environment({"MICROGATE_LLM_MODEL": "m"}) is None
