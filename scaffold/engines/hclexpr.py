"""A small evaluator for the Terraform expressions microgate's own templates use, so that
a test (and the checks) can see what Terraform will see without a terraform binary.

It knows string templates (``$${`` is a literal ``${``), numbers, lists, references to
``var``, ``local``, ``path.module`` and ``each`` with attribute and index access, and the
functions ``yamldecode``, ``file``, ``format``, ``tostring``, ``tonumber``, ``try``,
``lower``, ``upper``, ``join``, ``coalesce``. Anything else (another resource's
attribute, a function it does not know) is :class:`Unknown`: only Terraform can say.
"""

from __future__ import annotations

import re
from pathlib import Path

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Lookup = Callable[[str, str, int], Any]  # (root: var/local/each, name, depth) -> value

MAX_DEPTH = 20
MAX_FILE_BYTES = 1_000_000
TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<string>")
    | (?P<punct>[()\[\],.])
    )""", re.VERBOSE)


class Unknown(Exception):
    """An expression only Terraform can evaluate."""


class _Parser:
    def __init__(self, text: str, lookup: Lookup, folder: Path, boundary: Path,
                 depth: int) -> None:
        self.text = text
        self.pos = 0
        self.lookup = lookup
        self.folder = folder
        self.boundary = boundary
        self.depth = depth

    # -- tokens --------------------------------------------------------------------------
    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self) -> str:
        self._skip()
        return self.text[self.pos:self.pos + 1]

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise Unknown(f"expected {char!r}")
        self.pos += 1

    def _string(self) -> str:
        """A quoted string from the opening quote, its templates evaluated."""
        self._expect('"')
        start = self.pos
        depth = 0
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\":
                self.pos += 2
            elif text.startswith("$${", self.pos):
                self.pos += 3
            elif text.startswith("${", self.pos):
                depth += 1
                self.pos += 2
            elif char == "}" and depth:
                depth -= 1
                self.pos += 1
            elif char == '"' and depth:  # a string inside an interpolation
                self.pos = _past_string(text, self.pos)
            elif char == '"':
                raw = text[start:self.pos]
                self.pos += 1
                value = template(_unescape(raw), self.lookup, self.folder, self.boundary,
                                 self.depth + 1)
                return value if isinstance(value, str) else _to_string(value)
            else:
                self.pos += 1
        raise Unknown("an unterminated string")

    # -- grammar -------------------------------------------------------------------------
    def expression(self) -> Any:
        value = self._primary()
        while True:
            char = self._peek()
            if char == ".":
                self.pos += 1
                name = TOKEN.match(self.text, self.pos)
                if not name or not name.group("ident") and not name.group("number"):
                    raise Unknown("a bad attribute")
                self.pos = name.end()
                value = _index(value, name.group("ident") or name.group("number"))
            elif char == "[":
                self.pos += 1
                key = self.expression()
                self._expect("]")
                value = _index(value, key)
            else:
                return value

    def _primary(self) -> Any:
        char = self._peek()
        if char == '"':
            return self._string()
        if char == "[":
            self.pos += 1
            items = []
            while self._peek() != "]":
                items.append(self.expression())
                if self._peek() == ",":
                    self.pos += 1
            self.pos += 1
            return items
        if char == "(":
            self.pos += 1
            value = self.expression()
            self._expect(")")
            return value
        token = TOKEN.match(self.text, self.pos)
        if not token or token.group("string") or token.group("punct"):
            raise Unknown("an expression microgate does not evaluate")
        self.pos = token.end()
        if token.group("number"):
            number = float(token.group("number"))
            return int(number) if number.is_integer() else number
        name = token.group("ident")
        if name in ("true", "false"):
            return name == "true"
        if name == "null":
            return None
        if self._peek() == "(":
            return self._call(name)
        return self._reference(name)

    def _reference(self, root: str) -> Any:
        if root == "path":
            self._expect(".")
            token = TOKEN.match(self.text, self.pos)
            if not token or token.group("ident") not in ("module", "root"):
                raise Unknown("a path microgate does not know")
            self.pos = token.end()
            return "."
        if root not in ("var", "local", "each"):
            raise Unknown(f"{root}: known only when Terraform runs")
        self._expect(".")
        token = TOKEN.match(self.text, self.pos)
        if not token or not token.group("ident"):
            raise Unknown("a bad reference")
        self.pos = token.end()
        return self.lookup(root, token.group("ident"), self.depth + 1)

    def _call(self, name: str) -> Any:
        self._expect("(")
        arguments: list[Any] = []
        errors: list[Unknown] = []
        while self._peek() != ")":
            if not self._peek():
                raise Unknown("an unterminated call")
            start = self.pos
            try:
                arguments.append(self.expression())
            except Unknown as exc:  # try() takes the first argument that evaluates
                if name != "try":
                    raise
                errors.append(exc)
                self.pos = start
                _skip_argument(self)
                arguments.append(_FAILED)
            if self._peek() == ",":
                self.pos += 1
        self.pos += 1
        return self._apply(name, arguments)

    def _apply(self, name: str, arguments: list[Any]) -> Any:
        if name == "try":
            for argument in arguments:
                if argument is not _FAILED:
                    return argument
            raise Unknown("no argument of try() evaluates")
        if name == "file":
            return _read_inside(self.folder, self.boundary, str(arguments[0]))
        if name == "yamldecode":
            import yaml

            try:
                return yaml.load(str(arguments[0]), Loader=_terraform_yaml())  # noqa: S506
            except yaml.YAMLError:
                raise Unknown("not YAML") from None
        if name == "format":
            return _format(str(arguments[0]), arguments[1:])
        if name == "tostring":
            return _to_string(arguments[0])
        if name == "tonumber":
            try:
                return float(arguments[0])
            except (TypeError, ValueError):
                raise Unknown("not a number") from None
        if name in ("lower", "upper"):
            return getattr(str(arguments[0]), name)()
        if name == "join":
            return str(arguments[0]).join(_to_string(item) for item in arguments[1])
        if name == "coalesce":
            return next((a for a in arguments if a not in (None, "")), None)
        raise Unknown(f"{name}(): a function microgate does not evaluate")


_FAILED = object()


def _terraform_yaml() -> Any:
    """YAML as Terraform's yamldecode reads it: safe, and dates stay strings."""
    import yaml

    class TerraformYaml(yaml.SafeLoader):
        pass

    TerraformYaml.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return TerraformYaml


def _skip_argument(parser: _Parser) -> None:
    """Move past one argument whatever it holds (quotes and brackets balanced)."""
    depth = 0
    text = parser.text
    while parser.pos < len(text):
        char = text[parser.pos]
        if char == '"':
            parser.pos = _past_string(text, parser.pos) - 1
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if not depth:
                return
            depth -= 1
        elif char == "," and not depth:
            return
        parser.pos += 1


def _past_string(text: str, start: int) -> int:
    """The position after the string whose opening quote is at ``start``."""
    pos = start + 1
    while pos < len(text) and text[pos] != '"':
        pos += 2 if text[pos] == "\\" else 1
    return pos + 1


def _unescape(raw: str) -> str:
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1),
                                                                          m.group(1)), raw)


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, dict) and key in value:
        return value[key]
    if isinstance(value, dict) and str(key) in value:
        return value[str(key)]
    if isinstance(value, list):
        try:
            return value[int(key)]
        except (ValueError, IndexError):
            pass
    raise Unknown(f"no {key!r} here")


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None or isinstance(value, dict | list):
        raise Unknown("not a string")
    return str(value)


def _format(spec: str, arguments: list[Any]) -> str:
    out = []
    values = iter(arguments)
    for match in re.finditer(r"%(%|[-+ 0#]*\d*(?:\.\d+)?[sdfvq])|[^%]+", spec):
        piece = match.group(0)
        if not piece.startswith("%"):
            out.append(piece)
        elif piece == "%%":
            out.append("%")
        else:
            value = next(values, 0)
            kind = piece[-1]
            if kind in "sv":
                out.append(_to_string(value))
            elif kind == "q":
                out.append(f'"{_to_string(value)}"')
            elif kind == "d":
                out.append(("%" + piece[1:]) % int(float(value)))
            else:
                out.append(("%" + piece[1:]) % float(value))
    return "".join(out)


def _read_inside(folder: Path, boundary: Path, name: str) -> str:
    from scaffold.safefiles import SkippedFile, read_text

    target = (folder / name).resolve()
    if not target.is_relative_to(boundary):
        raise Unknown(f"{name}: outside the repo")
    try:
        return read_text(boundary, target.relative_to(boundary).as_posix(),
                         max_bytes=MAX_FILE_BYTES)
    except (SkippedFile, OSError, UnicodeDecodeError):
        raise Unknown(f"{name}: not readable") from None


def template(text: str, lookup: Lookup, folder: Path, boundary: Path,
             depth: int = 0) -> Any:
    """A string as Terraform reads it: ``${...}`` evaluated (a string that is one
    interpolation keeps its value's type), ``$${`` a literal ``${``."""
    if depth > MAX_DEPTH:
        raise Unknown("nested too deeply")
    pieces: list[Any] = []
    pos = 0
    literal: list[str] = []
    while pos < len(text):
        if text.startswith("$${", pos):
            literal.append("${")
            pos += 3
        elif text.startswith("${", pos):
            parser = _Parser(text, lookup, folder, boundary, depth)
            parser.pos = pos + 2
            value = parser.expression()
            parser._expect("}")
            if literal:
                pieces.append("".join(literal))
                literal = []
            pieces.append(value)
            pos = parser.pos
        else:
            literal.append(text[pos])
            pos += 1
    if literal:
        pieces.append("".join(literal))
    if len(pieces) == 1 and not isinstance(pieces[0], str) or \
            (len(pieces) == 1 and text.startswith("${") and text.endswith("}")):
        return pieces[0]
    return "".join(_to_string(piece) for piece in pieces)
