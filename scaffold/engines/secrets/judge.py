"""Is a matched string really a secret? The precision filters every finding goes through.

A rule or a detect-secrets plugin proposes a string; these filters reject what people
write in its place when there is no secret: placeholders and documented example keys,
template variables and references, and the hashes that sit in lockfiles, integrity
attributes and commit pins. Generic findings (a value next to a word like "password", or
a string of high entropy) are judged further, by the shape of the value and not by
entropy alone. Each filter returns the reason it rejects, so a test (or a curious user)
can see why.
"""

from __future__ import annotations

import re

# Words that mark a value as written to be replaced. Matched inside the lowercased value.
PLACEHOLDER_WORDS = (
    "example", "placeholder", "your_", "your-", "yourkey", "yourtoken", "yoursecret",
    "insert", "replace", "changeme", "change_me", "redacted", "dummy", "sample",
    "xxxx", "****", "....", "####", "<", ">", "todo", "fixme", "notreal", "not_real",
    "not-a-", "notasecret", "secret_here", "key_here", "token_here", "here_", "-here",
    "_here", "lorem", "foobar", "abcdefgh", "1234567", "0000000", "aaaaaaa",
)
# Words that, inside a generic value, mean it is prose or an identifier, not a credential.
GENERIC_STOPWORDS = (
    "test", "fake", "mock", "demo", "default", "password", "secret", "token", "value",
    "string", "null", "none", "true", "false", "undefined", "required", "optional", "env",
    "config", "settings", "process", "getenv", "environ", "vault", "lookup", "input",
    "param", "variable", "function", "return", "self.", "this.", "user", "admin", "local",
    "enter", "prompt", "should", "must", "http", "localhost", "file", "path", "name",
    "type", "class", "import", "include", "short", "wrong", "invalid", "random", "here",
    "initial", "nonmatch",
)
# References to a value kept elsewhere: ${VAR}, {{ var }}, %(var)s, $VAR, env("X")...
REFERENCE = re.compile(
    r"^(?:\$\{|\$\(|\{\{|\{%|%\(|%[sd]$|\$[A-Za-z_]|@[A-Za-z_]|#\{|<%|\[\[|ENC\[|vault:"
    r"|arn:|projects/|secretsmanager|ssm:|env\(|os\.|process\.|getenv|secrets\.|var\.|local\."
    r"|data\.|module\.|input\.|\w+\(|[A-Za-z_][\w.]*\[)"
)
HEX = re.compile(r"^[0-9a-fA-F]+$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                  r"[0-9a-fA-F]{12}$")
# Lines where a hash is a digest or a version pin, not a credential.
DIGEST_CONTEXT = re.compile(
    r"(?i)(?:--hash[=\s]|\bsha(?:1|256|384|512)[-:=]|integrity|\bnonce-|checksum|digest"
    r"|\bcommit\b|\bcommit[_-]?(?:id|sha|hash)|\bgit[_-]?(?:commit|sha|rev|hash)\b|\bsha\b"
    r"|\brev(?:ision)?\b|\bref\b|@[0-9a-f]{40}\b|/commit/|/tree/|/blob/|\bhash\b|etag"
    r"|\bfingerprint\b|\bthumbprint\b|\bobject[_-]?id\b|\bresolved\b|version|srcrev)"
)
IDENTIFIER_WORDS = re.compile(r"[A-Z]?[a-z]{3,}|[A-Z]{3,}(?![a-z])")
VOWELS = set("aeiouAEIOU")
# Documented example keys, by their well-known markers (AWS's documentation keys end in
# EXAMPLE / EXAMPLEKEY).
DOCUMENTED_EXAMPLES = re.compile(r"(?i)example(?:key)?$|^akiaiosfodnn7|^wjalrxutnfemi")


def _sequential_share(value: str) -> float:
    """The share of ``value`` in runs of 3+ characters that step by one (abc, 1234, aaa)."""
    covered, run = 0, 1
    for previous, current in zip(value, value[1:], strict=False):
        if ord(current) - ord(previous) in (1, -1) or current == previous:
            run += 1
            continue
        if run >= 3:
            covered += run
        run = 1
    if run >= 3:
        covered += run
    return covered / len(value) if value else 0.0


def placeholder_reason(secret: str, line: str = "", sequence_share: float = 0.9) -> str | None:
    """Why ``secret`` is a stand-in for one (for any rule), or None.

    A provider's token with a long run of ``abc...``/``123...`` in it is a placeholder
    only when nearly all of it is such runs (``sequence_share``); a generic value, with
    no format to vouch for it, is one at half.
    """
    lowered = secret.lower()
    for word in PLACEHOLDER_WORDS:
        if word in lowered:
            return f"a placeholder ({word!r})"
    if DOCUMENTED_EXAMPLES.search(secret):
        return "a documented example key"
    # Past a provider prefix (ghp_, sk-, xoxp-1-): the part that should look random.
    body = re.sub(r"^(?:[A-Za-z]{2,10}[_.-])+(?:\d[_-])?", "", secret)
    body = re.sub(r"[-_.]", "", body)
    tail = body[len(body) // 2:]
    if len(body) >= 8 and (len(set(body.lower())) <= 4 or len(set(tail.lower())) <= 3):
        return "too few distinct characters"
    if len(body) >= 12 and _sequential_share(body) >= sequence_share:
        return "a sequence (abc..., 123...)"
    if len(body) >= 6 and body.isalpha() and _wordy(body):
        return "words, not a token"
    if re.search(r"(?i)here$", secret):
        return "a placeholder ('...here')"
    if REFERENCE.match(secret):
        return "a reference to a value kept elsewhere"
    return None


def _wordy(value: str) -> bool:
    """True when ``value`` reads as words (an identifier, prose), not random characters."""
    words = IDENTIFIER_WORDS.findall(value)
    letters = sum(len(word) for word in words)
    if not words or letters < 0.7 * len(value):
        return False
    pronounceable = [word for word in words
                     if 0.2 <= sum(ch in VOWELS for ch in word) / len(word) <= 0.7]
    return sum(map(len, pronounceable)) >= 0.6 * len(value)


# Names whose values are not secrets though they contain "key" or "token".
NOT_SECRET_NAMES = re.compile(
    r"(?i)(?:^|[^a-z])(?:public|pub|publishable)[_.-]?(?:key|token)|csrf|xsrf|authenticity"
    r"|(?:id|ids|name|names|url|uri|path|file|dir|type|version|count|length|size|prefix"
    r"|suffix|format|header|field|label|selector|ref|arn|region|alias|policy|algorithm"
    r"|expiry|expires|ttl|timeout)[\"']?$"
)
PASSWORD_NAME = re.compile(r"(?i)passw|passwd|pwd|passphrase")


def credential_name(context: str, secret: str) -> str:
    """The name a value is assigned to, from the text of the match before the value."""
    before = context[: context.rfind(secret)] if secret in context else context
    found = re.findall(r"[A-Za-z0-9_.-]+", before)
    return found[-1] if found else ""


def generic_reason(secret: str, line: str, name: str = "") -> str | None:
    """Why a value found only by its context (a keyword, its entropy) is not a secret."""
    reason = placeholder_reason(secret, sequence_share=0.5)
    if reason:
        return reason
    lowered = secret.lower()
    if name and NOT_SECRET_NAMES.search(name):
        return f"{name!r} names something that is not a secret"
    if len(secret) < (8 if PASSWORD_NAME.search(name or line) else 12):
        return "too short for a credential"
    if UUID.match(secret) and re.search(r"(?i)(?:id|uuid|guid)\b", name or ""):
        return "an id"
    for word in GENERIC_STOPWORDS:
        if word in lowered:
            return f"prose or a name ({word!r})"
    if UUID.match(secret) and not re.search(r"(?i)secret|token|password|api[_-]?key", line):
        return "a UUID"
    if HEX.match(secret) and len(secret) in (32, 40, 56, 64, 96, 128) and DIGEST_CONTEXT.search(
            line):
        return "a digest or a commit id"
    if re.search(r"(?i)sha(?:1|256|384|512)-[A-Za-z0-9+/=]{20,}", line) and secret in line:
        return "an integrity digest"
    if _wordy(secret):
        return "reads as words, not random characters"
    if "/" in secret and secret.count("/") >= 2 and not re.search(r"[+=]", secret):
        return "a path"
    if "." in secret and re.fullmatch(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+", secret) and all(
            len(part) <= 3 or _wordy(part) for part in secret.split(".")):
        return "a dotted name"
    if secret.isdigit() or secret.isalpha() and (secret.islower() or secret.isupper()):
        return "a single class of characters"
    return None


CREDENTIAL_WORDS = re.compile(r"(?i)key|token|secret|passw|pwd|auth|credential|api|private"
                              r"|bearer|session|cookie|access")


def entropy_reason(secret: str, line: str, name: str = "") -> str | None:
    """Why a high-entropy string is not a secret: entropy alone is not enough."""
    reason = generic_reason(secret, line, name)
    if reason:
        return reason
    if not CREDENTIAL_WORDS.search(line):
        return "high entropy, but nothing on the line says it is a credential"
    return None


def embedded_reason(token: str, line: str) -> str | None:
    """Why a token found inside a longer word is not one."""
    at = line.find(token)
    if at > 0 and line[at - 1].isalnum() or at >= 0 and line[at + len(token):at + len(
            token) + 1].isalnum():
        return "part of a longer word"
    return None


def digest_reason(secret: str, line: str) -> str | None:
    """Why a hash-like finding of any rule is a digest or commit pin, not a secret."""
    if HEX.match(secret) and len(secret) in (40, 64) and DIGEST_CONTEXT.search(line):
        return "a digest or a commit id"
    return None
