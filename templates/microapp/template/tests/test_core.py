from __future__ import annotations

from app.core import build_greeting


def test_build_greeting_uses_the_name() -> None:
    assert build_greeting("Ana") == "Hello, Ana!"


def test_build_greeting_falls_back_to_world() -> None:
    assert build_greeting("   ") == "Hello, world!"
