"""YAML reading that is safe on hostile text, with libyaml's C loader where installed.

Safe means more than ``SafeLoader``: a "billion laughs" document of nested aliases
expands to gigabytes from a few hundred bytes, and deep nesting overflows the stack.
:func:`load` composes the document first (aliases stay shared nodes, so that is linear),
measures what construction would build, and refuses an expansion or a depth over the
limits before building anything. ``unique_keys=True`` also refuses a mapping that names
one key twice (YAML says the last wins, so a reviewer reads one value and the tool
enforces another).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

    import yaml

MAX_NODES = 1_000_000  # scalars, sequences and mappings after aliases are expanded
MAX_DEPTH = 200


class InvalidYaml(ValueError):
    """Text that is not YAML; a ValueError, so that readers of data files catch it as such."""

    def __init__(self, error: yaml.YAMLError | str, *, problem_mark: Any = None) -> None:
        super().__init__(str(error))
        self.problem_mark = getattr(error, "problem_mark", None) or problem_mark
        self.problem = getattr(error, "problem", None) or (
            error if isinstance(error, str) else None)


def safe_loader() -> type[yaml.SafeLoader]:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def base_loader() -> type[yaml.BaseLoader]:
    """Every scalar a string: for data whose values are versions ("2.10" is not 2.1) or
    dates kept as written."""
    import yaml

    return getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def _measure(root: yaml.Node, unique_keys: bool) -> None:
    """Refuse alias bombs, deep nesting and (optionally) duplicate keys."""
    import yaml

    expanded: dict[int, int] = {}
    # Iterative post-order walk: (node, depth, children done?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            total = 1 + sum(expanded[id(child)] for child in children)
            if total > MAX_NODES:
                raise InvalidYaml(f"it expands to more than {MAX_NODES:,} values (aliases "
                                  "that refer to aliases)", problem_mark=node.start_mark)
            expanded[key] = total
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise InvalidYaml("an alias refers to itself", problem_mark=node.start_mark)
        if depth > MAX_DEPTH:
            raise InvalidYaml(f"it is nested more than {MAX_DEPTH} levels deep",
                              problem_mark=node.start_mark)
        if unique_keys and isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen and key_node.value != "<<":
                        raise InvalidYaml(f"the key {key_node.value!r} appears twice in one "
                                          "mapping; keep one",
                                          problem_mark=key_node.start_mark)
                    seen.add(key_node.value)
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) not in expanded:
                stack.append((child, depth + 1, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load(text: str, *, unique_keys: bool = False, strings: bool = False) -> Any:
    """The data of one YAML document, or InvalidYaml (never a bomb, never a crash).
    ``strings``: every scalar stays the text it was written as.

    A document read before is read back from the parse cache (PyYAML costs a hook ~20 ms
    to import)."""
    from scaffold.parsecache import cached

    flags = f"yaml:{unique_keys:d}{strings:d}\0".encode()
    return cached("yaml", flags + text.encode("utf-8", "surrogatepass"),
                  lambda: parse(text, unique_keys=unique_keys, strings=strings),
                  code=(__file__,), libraries=("yaml",))


def parse(text: str, *, unique_keys: bool = False, strings: bool = False) -> Any:
    """:func:`load` without the parse cache, for callers that keep the result themselves."""
    import yaml

    try:
        loader = (base_loader() if strings else safe_loader())(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _measure(node, unique_keys)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise InvalidYaml(exc) from exc
    except RecursionError:
        raise InvalidYaml(f"it is nested more than {MAX_DEPTH} levels deep") from None
