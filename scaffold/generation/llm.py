"""A small client for any OpenAI-compatible chat-completions endpoint.

OpenAI, a local Ollama, vLLM, llama.cpp's server and LM Studio all speak the same
``POST {base}/chat/completions``. The endpoint and model come from the environment; the
key is read from an environment variable at request time and is never stored, printed or
logged (error messages name the variable, never its value).

Requests are deterministic where the server allows it (temperature 0, a fixed seed), time
out, and are retried with exponential backoff on 429 and 5xx (honouring ``Retry-After``).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scaffold.errors import MicrogateError

BASE_URL_VARIABLE = "MICROGATE_LLM_BASE_URL"
MODEL_VARIABLE = "MICROGATE_LLM_MODEL"
KEY_VARIABLE_VARIABLE = "MICROGATE_LLM_API_KEY_ENV"
DEFAULT_KEY_VARIABLE = "MICROGATE_LLM_API_KEY"
TIMEOUT_VARIABLE = "MICROGATE_LLM_TIMEOUT"
DEFAULT_SEED = 1234
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 30.0
MAX_TIMEOUT_SECONDS = 3600
MAX_ANSWER_BYTES = 10_000_000


class LLMError(MicrogateError):
    """The endpoint could not give an answer (down, refusing, or answering nonsense)."""


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    key_variable: str = DEFAULT_KEY_VARIABLE
    timeout_seconds: float = 60.0
    retries: int = 3
    backoff_seconds: float = 0.5
    seed: int = DEFAULT_SEED

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> LLMSettings | None:
        """The configured endpoint, or None when no LLM is configured."""
        env = os.environ if environ is None else environ
        base_url = env.get(BASE_URL_VARIABLE, "").strip()
        if not base_url and environ is None and env.get(MODEL_VARIABLE, "").strip():
            from scaffold.platform.platform_settings import platform_settings

            base_url = platform_settings().llm_endpoint.strip()  # the platform's endpoint
        if not base_url:
            return None
        model = env.get(MODEL_VARIABLE, "").strip()
        if not model:
            raise LLMError(f"{BASE_URL_VARIABLE} is set but {MODEL_VARIABLE} is not: name the "
                           "model to use (e.g. gpt-4o-mini-2024-07-18 or llama3.1:8b)")
        if not base_url.startswith(("http://", "https://")):
            raise LLMError(f"{BASE_URL_VARIABLE} must start with http:// or https://, "
                           f"got {base_url!r}")
        timeout_text = env.get(TIMEOUT_VARIABLE, "60")
        try:
            timeout = float(timeout_text)
        except ValueError:
            timeout = math.nan
        if not (0 < timeout <= MAX_TIMEOUT_SECONDS):  # also refuses nan and inf
            raise LLMError(f"{TIMEOUT_VARIABLE} must be a number of seconds between 0 and "
                           f"{MAX_TIMEOUT_SECONDS}, got {_printable(timeout_text)[:40]!r}"
                           ) from None
        return cls(base_url=base_url.rstrip("/"), model=model,
                   key_variable=env.get(KEY_VARIABLE_VARIABLE, DEFAULT_KEY_VARIABLE),
                   timeout_seconds=timeout)


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, str]]
    model: str
    temperature: float = 0.0
    max_tokens: int | None = None
    seed: int | None = DEFAULT_SEED
    json_output: bool = False

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": self.messages,
                                "temperature": self.temperature}
        if self.seed is not None:
            body["seed"] = self.seed
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.json_output:
            body["response_format"] = {"type": "json_object"}
        return body


@dataclass
class ChatClient:
    settings: LLMSettings
    sleep: Callable[[float], None] = time.sleep
    attempts_made: int = field(default=0, init=False)

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.settings.key_variable, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.settings.backoff_seconds * (2 ** attempt)
        if retry_after:
            try:
                delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
            except ValueError:
                pass
        self.sleep(delay)

    def complete(self, request: ChatRequest) -> str:
        """The assistant's answer text; raises LLMError when there is none."""
        url = f"{self.settings.base_url}/chat/completions"
        data = json.dumps(request.body()).encode("utf-8")
        where = f"the LLM endpoint {self.settings.base_url} ({BASE_URL_VARIABLE})"
        last_problem = ""
        for attempt in range(self.settings.retries + 1):
            self.attempts_made += 1
            http_request = urllib.request.Request(url, data=data, headers=self._headers(),
                                                  method="POST")
            try:
                with _OPENER.open(  # noqa: S310 - the URL scheme is checked
                        http_request, timeout=self.settings.timeout_seconds) as response:
                    payload = response.read(MAX_ANSWER_BYTES + 1)
                    if len(payload) > MAX_ANSWER_BYTES:
                        raise LLMError(f"{where} sent an answer over "
                                       f"{MAX_ANSWER_BYTES // 1_000_000} MB; not read")
            except urllib.error.HTTPError as exc:
                status = exc.code
                if status in RETRIED_STATUSES and attempt < self.settings.retries:
                    last_problem = f"HTTP {status}"
                    self._wait(attempt, exc.headers.get("Retry-After"))
                    continue
                if status in (401, 403):
                    raise LLMError(f"{where} refused the key (HTTP {status}): check "
                                   f"${self.settings.key_variable}") from None
                if status in RETRIED_STATUSES:
                    raise LLMError(f"{where} kept failing (HTTP {status}) after "
                                   f"{self.settings.retries + 1} attempts; try again later"
                                   ) from None
                if 300 <= status < 400:
                    raise LLMError(f"{where} redirected to another address (HTTP {status}); "
                                   "the key is never sent on: set the endpoint's final "
                                   "address") from None
                raise LLMError(f"{where} answered HTTP {status}: {_error_detail(exc)}") from None
            except TimeoutError:
                last_problem = f"no answer within {self.settings.timeout_seconds:g} s"
                if attempt < self.settings.retries:
                    self._wait(attempt, None)
                    continue
                raise LLMError(f"{where} gave {last_problem} ({self.settings.retries + 1} "
                               f"attempts; raise {TIMEOUT_VARIABLE} for a slow model)") from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError):
                    last_problem = f"no answer within {self.settings.timeout_seconds:g} s"
                    if attempt < self.settings.retries:
                        self._wait(attempt, None)
                        continue
                    raise LLMError(f"{where} gave {last_problem}") from None
                raise LLMError(f"{where} is not reachable ({_printable(str(reason))}); is it "
                               "running?") from None
            except (ConnectionError, OSError) as exc:
                raise LLMError(f"{where} is not reachable ({_printable(str(exc))}); is it "
                               "running?") from None
            return _answer_text(payload, where)
        raise LLMError(f"{where} kept failing ({last_problem})")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the Authorization header to whatever host it names."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e"
                                r"\u2066-\u2069]")


def _printable(text: str) -> str:
    """``text`` without control characters: an endpoint's words never drive the terminal."""
    return CONTROL_CHARACTERS.sub("", text)


def _error_detail(exc: urllib.error.HTTPError) -> str:
    return _printable(_raw_error_detail(exc))


def _raw_error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(64_000).decode("utf-8", "replace")
    except OSError:
        return exc.reason or "no detail"
    try:
        error = json.loads(text).get("error")
        if isinstance(error, dict):
            return str(error.get("message", error))[:200]
    except (ValueError, AttributeError):
        pass
    return text.strip().splitlines()[0][:200] if text.strip() else str(exc.reason)


def _answer_text(payload: bytes, where: str) -> str:
    try:
        document = json.loads(payload)
        content = document["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError(f"{where} sent an answer that is not a chat completion "
                       "(malformed JSON or missing choices[0].message.content)") from None
    if not isinstance(content, str):
        raise LLMError(f"{where} sent a chat completion without text content")
    return _printable(content)


def configured_client() -> ChatClient | None:
    settings = LLMSettings.from_environment()
    return ChatClient(settings) if settings else None
