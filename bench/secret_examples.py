"""The true and false examples of gitleaks-style rule sources, read without running Go.

gitleaks and betterleaks keep, beside each rule's definition, the strings it must find
(``tps``) and must not (``fps``). This module reads them from a checkout's
``cmd/generate/config/rules/*.go`` with a small tokenizer and evaluator: string literals
(raw and interpreted, joined with ``+``), ``fmt.Sprintf``, the random secrets their
sources make from a character class (made here from the same class, with a fixed seed),
and the calls that place a secret in sample lines of configuration and code. Anything
else (a helper this reader does not know) is left out. Nothing is copied anywhere: the
examples are written to a temporary folder by the benchmark and deleted after.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RULES_FOLDER = "cmd/generate/config/rules"
TOKEN = re.compile(r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>:=|\.\.\.|[{}()\[\],+=])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
EXAMPLE_LISTS = {"tps": True, "fps": False, "truePositives": True, "falsePositives": False}
# Sample lines a secret is placed in for ``GenerateSampleSecrets``-style calls: the usual
# shapes of configuration and code, {i} an identifier, {s} the secret.
SAMPLE_SHAPES = (
    '{i}_token = "{s}"',
    "{I}_TOKEN={s}",
    '{{"{i}_token": "{s}"}}',
    "{i}_token: {s}",
    "<{i}Token>\n    {s}\n</{i}Token>",
    "export {I}_TOKEN='{s}'",
)


@dataclass(frozen=True)
class Example:
    family: str
    positive: bool
    text: str


def _unquote(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    body = token[1:-1]
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a",
               "b": "\b", "f": "\f", "v": "\v", "0": "\0"}

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        return escapes.get(code, code)

    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", replace, body)


def _tokens(source: str) -> list[tuple[str, str]]:
    tokens = []
    for match in TOKEN.finditer(source):
        kind = match.lastgroup or "other"
        if kind in ("comment", "space"):
            continue
        value = match.group()
        if kind in ("raw", "str"):
            tokens.append(("str", _unquote(value)))
        else:
            tokens.append((kind, value))
    return tokens


def _split_top(tokens: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    parts: list[list[tuple[str, str]]] = [[]]
    depth = 0
    for kind, value in tokens:
        if value in "({[" and kind == "op":
            depth += 1
        elif value in ")}]" and kind == "op":
            depth -= 1
        if depth == 0 and kind == "op" and value == ",":
            parts.append([])
        else:
            parts[-1].append((kind, value))
    return [part for part in parts if part]


def _literal(tokens: list[tuple[str, str]]) -> str | None:
    """The value of ``"a" + "b"``, or None when anything but literals is involved."""
    if not tokens or len(tokens) % 2 == 0:
        return None
    pieces = []
    for index, (kind, value) in enumerate(tokens):
        if index % 2 == 0 and kind == "str":
            pieces.append(value)
        elif index % 2 == 1 and kind == "op" and value == "+":
            continue
        else:
            return None
    return "".join(pieces)


def _samples(identifier: str, secret: str, many: bool) -> list[str]:
    shapes = SAMPLE_SHAPES if many else SAMPLE_SHAPES[:1]
    name = re.sub(r"\W", "_", identifier) or "app"
    return [shape.format(i=name, I=name.upper(), s=secret) for shape in shapes]


# The character classes of the rule sources' helper functions (a size is filled in).
CHARSETS = {
    "Numeric": "[0-9]{%s}",
    "Hex": "[a-f0-9]{%s}",
    "AlphaNumeric": "[a-z0-9]{%s}",
    "AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
    "AlphaNumericExtended": "[a-z0-9=_-]{%s}",
    "AlphaNumericExtendedLong": "[a-z0-9/=_+-]{%s}",
}


def _random_match(pattern: str, rng: random.Random) -> str | None:
    """A random string that ``pattern`` matches (the simple patterns of example makers)."""
    import re._constants as c  # type: ignore[import-not-found]
    import re._parser as sre_parse  # type: ignore[import-not-found]

    try:
        tree = sre_parse.parse(pattern)
    except re.error:
        return None
    letters = string.ascii_letters + string.digits

    def one_of(items: list[tuple[Any, Any]]) -> str:
        choices: list[str] = []
        negate = False
        for op, arg in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                choices.append(chr(arg))
            elif op is c.RANGE:
                choices.extend(chr(x) for x in range(arg[0], min(arg[1], arg[0] + 200) + 1))
            elif op is c.CATEGORY:
                choices.extend(string.digits if arg is c.CATEGORY_DIGIT else letters + "_")
        if negate:
            choices = [ch for ch in letters if ch not in choices]
        return rng.choice(choices or list(letters))

    def build(items: Any) -> str:
        out = []
        for op, arg in items:
            if op is c.LITERAL:
                out.append(chr(arg))
            elif op is c.NOT_LITERAL:
                out.append(rng.choice([ch for ch in letters if ord(ch) != arg]))
            elif op is c.IN:
                out.append(one_of(arg))
            elif op is c.ANY:
                out.append(rng.choice(letters))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                low, high, sub = arg
                high = low + 8 if high is c.MAXREPEAT else high
                out.extend(build(sub) for _ in range(rng.randint(low, max(low, high))))
            elif op is c.SUBPATTERN:
                out.append(build(arg[-1]))
            elif op is c.BRANCH:
                out.append(build(rng.choice(arg[1])))
            elif op is c.CATEGORY:
                out.append(rng.choice(string.digits if arg is c.CATEGORY_DIGIT else letters))
        return "".join(out)

    return build(tree)


def _evaluate(tokens: list[tuple[str, str]], rng: random.Random) -> str | None:
    """The value of a string expression: literals, ``+``, and the example makers' calls."""
    terms: list[list[tuple[str, str]]] = [[]]
    depth = 0
    for kind, value in tokens:
        if kind == "op" and value in "({[":
            depth += 1
        elif kind == "op" and value in ")}]":
            depth -= 1
        if depth == 0 and (kind, value) == ("op", "+"):
            terms.append([])
        else:
            terms[-1].append((kind, value))
    pieces = []
    for term in terms:
        if len(term) == 1 and term[0][0] == "str":
            pieces.append(term[0][1])
            continue
        if not (len(term) >= 3 and term[0][0] == "ident" and term[1] == ("op", "(")
                and term[-1] == ("op", ")")):
            return None
        name = term[0][1].rsplit(".", 1)[-1]
        arguments = _split_top(term[2:-1])
        if name == "NewSecretWithEntropy":
            arguments = arguments[:1]  # the entropy floor: random classes pass it anyway
        evaluated = [_evaluate(argument, rng) for argument in arguments]
        if any(argument is None for argument in evaluated) or not evaluated:
            return None
        values = [str(argument) for argument in evaluated]
        if name in CHARSETS:
            pieces.append(CHARSETS[name] % values[0])
        elif name in ("NewSecret", "NewSecretWithEntropy"):
            made = _random_match(values[0], rng)
            if made is None:
                return None
            pieces.append(made)
        elif name == "Sprintf":
            try:
                pieces.append(values[0] % tuple(values[1:]))
            except (TypeError, ValueError):
                return None
        elif name == "Repeat" and len(values) == 2 and values[1].isdigit():
            pieces.append(values[0] * int(values[1]))
        else:
            return None
    return "".join(pieces)


def _values(element: list[tuple[str, str]], rng: random.Random) -> list[str]:
    """The example strings one list element stands for."""
    if element and element[-1] == ("op", "..."):
        element = element[:-1]
    if element[:3] == [("op", "["), ("op", "]"), ("ident", "string")] and len(element) > 4:
        return [value for inner in _split_top(element[4:-1]) for value in _values(inner, rng)]
    if element[:2] == [("ident", "append"), ("op", "(")]:
        arguments = _split_top(element[2:-1])
        if arguments and arguments[0][0] == ("ident", "tps") or arguments[0][0] == (
                "ident", "fps"):
            arguments = arguments[1:]
        return [value for inner in arguments for value in _values(inner, rng)]
    if (len(element) >= 3 and element[0][0] == "ident" and element[1] == ("op", "(")
            and element[-1] == ("op", ")")):
        name = element[0][1].rsplit(".", 1)[-1]
        arguments = _split_top(element[2:-1])
        if name in ("GenerateSampleSecrets", "GenerateSampleSecret") and len(arguments) == 2:
            identifier, secret = _literal(arguments[0]), _evaluate(arguments[1], rng)
            if identifier is not None and secret is not None:
                return _samples(identifier, secret, name.endswith("s"))
            return []
    value = _evaluate(element, rng)
    return [value] if value is not None else []


def _closing(tokens: list[tuple[str, str]], start: int) -> int:
    opener = tokens[start][1]
    closer = {"(": ")", "{": "}", "[": "]"}[opener]
    depth = 0
    for index in range(start, len(tokens)):
        kind, value = tokens[index]
        if kind == "op" and value == opener:
            depth += 1
        elif kind == "op" and value == closer:
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def examples_in_source(source: str, family: str) -> Iterator[Example]:
    rng = random.Random(f"{family}-examples")
    tokens = _tokens(source)
    index = 0
    while index < len(tokens) - 2:
        kind, name = tokens[index]
        assign = tokens[index + 1]
        if kind != "ident" or name not in EXAMPLE_LISTS or assign not in (("op", ":="),
                                                                           ("op", "=")):
            index += 1
            continue
        positive = EXAMPLE_LISTS[name]
        start = index + 2
        head = tokens[start]
        elements: list[list[tuple[str, str]]] = []
        if head == ("op", "[") and start + 3 < len(tokens) and tokens[start + 3] == ("op", "{"):
            end = _closing(tokens, start + 3)
            elements = _split_top(tokens[start + 4:end])
        elif head == ("ident", "append") and tokens[start + 1] == ("op", "("):
            end = _closing(tokens, start + 1)
            elements = _split_top(tokens[start + 2:end])
            if elements and elements[0] in ([("ident", "tps")], [("ident", "fps")]):
                elements = elements[1:]
        elif head[0] == "ident" and tokens[start + 1] == ("op", "("):
            end = _closing(tokens, start + 1)
            elements = [tokens[start:end + 1]]
        else:
            index += 1
            continue
        for element in elements:
            for value in _values(element, rng):
                if value.strip():
                    yield Example(family, positive, value)
        index = end + 1


def examples_in_checkout(checkout: Path) -> list[Example]:
    folder = checkout / RULES_FOLDER
    found: list[Example] = []
    for path in sorted(folder.glob("*.go")):
        if path.name.endswith("_test.go"):
            continue
        found.extend(examples_in_source(path.read_text(encoding="utf-8", errors="replace"),
                                        path.stem))
    return found
