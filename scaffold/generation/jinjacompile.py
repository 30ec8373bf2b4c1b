"""Each Jinja string compiled once while copier renders.

copier compiles every string it renders afresh (Jinja's ``from_string`` keeps no cache):
an update renders the template three times (the old release, the new one, the merge),
each time every path's parts and each question's default, help and condition: ~1,500
compilations of ~150 distinct strings, a fifth of an update's CPU. Compiled code depends
only on the source, its name and the environment's syntax settings, extensions, filter
and test names, so it is kept under those, for one copier call.

An extension may act when a string is compiled (copier's ``yield`` tag resets its state
there): on a hit the extensions still see the source. Environments with extensions other
than Jinja's, copier's and the Ansible filters copier loads are left alone.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any

KNOWN_EXTENSION_PACKAGES = frozenset({"jinja2", "copier", "jinja2_ansible_filters"})


def _settings(environment: Any) -> Hashable | None:
    """What, besides the source, the compiled code depends on; None: do not keep it.
    (The code calls filters and tests by name, and passes them the context, the
    environment or neither as each is marked to take.)"""
    from jinja2.utils import _PassArg

    extensions = environment.extensions
    if not all(type(extension).__module__.split(".")[0] in KNOWN_EXTENSION_PACKAGES
               for extension in extensions.values()):
        return None
    return (type(environment), environment.block_start_string,
            environment.block_end_string, environment.variable_start_string,
            environment.variable_end_string, environment.comment_start_string,
            environment.comment_end_string, environment.line_statement_prefix,
            environment.line_comment_prefix, environment.trim_blocks,
            environment.lstrip_blocks, environment.newline_sequence,
            environment.keep_trailing_newline, environment.optimized,
            environment.is_async, environment.autoescape, environment.finalize,
            environment.code_generator_class, environment.undefined,
            tuple(sorted(extensions)),
            frozenset((name, _PassArg.from_obj(f)) for name, f in environment.filters.items()),
            frozenset((name, _PassArg.from_obj(f)) for name, f in environment.tests.items()))


@contextmanager
def compiled_once() -> Iterator[None]:
    """Within the block, Jinja compiles a string once for equal environments."""
    from jinja2 import Environment

    original: Any = Environment.compile  # (typed by its overloads on raw)
    kept: dict[Hashable, Any] = {}
    # per environment: (its filters and tests when last read, what they came to)
    known: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int], Hashable | None]] = \
        weakref.WeakKeyDictionary()

    def settings_of(environment: Any) -> Hashable | None:
        sizes = (len(environment.filters), len(environment.tests))
        seen = known.get(environment)
        if seen is None or seen[0] != sizes:
            seen = known[environment] = (sizes, _settings(environment))
        return seen[1]

    def compile(self: Any, source: Any, name: str | None = None,
                filename: str | None = None, raw: bool = False,
                defer_init: bool = False) -> Any:
        settings = settings_of(self) if isinstance(source, str) else None
        if settings is None:
            return original(self, source, name, filename, raw, defer_init)
        key = (settings, source, name, filename, raw, defer_init)
        try:
            code = kept[key]
        except KeyError:
            code = kept[key] = original(self, source, name, filename, raw, defer_init)
        except TypeError:  # a setting that cannot be a key (an unhashable finalize)
            return original(self, source, name, filename, raw, defer_init)
        else:
            self.preprocess(source, name, filename)  # what extensions do on compiling
        return code

    Environment.compile = compile  # type: ignore[method-assign]
    try:
        yield
    finally:
        Environment.compile = original  # type: ignore[method-assign]
