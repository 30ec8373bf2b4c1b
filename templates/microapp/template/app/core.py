"""The app's own logic: plain functions, easy to test. Replace them with yours."""

from __future__ import annotations


def build_greeting(name: str) -> str:
    """Return the greeting the app answers with.

    >>> build_greeting("Ana")
    'Hello, Ana!'
    >>> build_greeting("  ")
    'Hello, world!'
    """
    cleaned = name.strip()
    return f"Hello, {cleaned or 'world'}!"
