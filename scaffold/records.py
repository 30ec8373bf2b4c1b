"""Plain value classes: compared, hashed and shown by their ``__slots__``.

What ``@dataclass`` gives, without importing ``dataclasses`` (with ``inspect``, ``ast``
and ``dis`` behind it, ~8 ms a hook start-up) or generating code for each class. A
subclass lists its fields in ``__slots__`` and writes its own ``__init__``.
"""

from __future__ import annotations


class Record:
    """Equal to another of its type with equal fields; not hashable (fields may be lists)."""

    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and isinstance(other, Record)
                and self._fields() == other._fields())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.__slots__) + ")"


class FrozenRecord(Record):
    """A Record whose fields are not changed after ``__init__``: hashable."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._fields())
