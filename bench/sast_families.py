"""Which public SAST test material each microgate rule family claims (issue 14).

semgrep-rules' test files mark the lines a rule must report (``# ruleid: <id>``) and the
lines it must not (``# ok: <id>``); bandit's ``examples/`` are scored by running bandit
itself. Each family below names the test files whose rule looks for the same flaw, and the
bandit test ids that do. A family claims every such file: picking only the easy ones would
make the figure meaningless. What is left out is left out for a reason written beside it.

Paths are relative to semgrep-rules' ``python/`` folder. A path counts the ``ruleid:`` and
``ok:`` lines of every rule in the registry file beside it; ``path::id,id`` only those.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    rules: tuple[str, ...]  # microgate rule ids (without "microgate.") that count
    semgrep_files: tuple[str, ...]
    bandit_tests: tuple[str, ...] = ()


FAMILIES = (
    Family("sql-injection",
           ("sql-string-formatting", "sql-built-from-text", "llm-output-executed"), (
        "django/security/injection/sql/sql-injection-extra.py",
        "django/security/injection/sql/sql-injection-rawsql.py",
        "django/security/injection/sql/sql-injection-using-db-cursor-execute.py",
        "django/security/injection/sql/sql-injection-using-raw.py",
        "django/security/injection/tainted-sql-string.py",
        "flask/security/injection/tainted-sql-string.py",
        "lang/security/audit/formatted-sql-query.py",
        "lang/security/audit/sqli/aiopg-sqli.py",
        "lang/security/audit/sqli/asyncpg-sqli.py",
        "lang/security/audit/sqli/pg8000-sqli.py",
        "lang/security/audit/sqli/psycopg-sqli.py",
        "sqlalchemy/security/sqlalchemy-execute-raw-query.py",
        "sqlalchemy/security/sqlalchemy-sql-injection.py",
    ), ("B608", "B610", "B611")),
    Family("command-injection", ("subprocess-shell", "command-injection", "llm-output-executed"), (
        "django/security/injection/command/command-injection-os-system.py",
        "django/security/injection/command/subprocess-injection.py",
        "flask/security/injection/os-system-injection.py",
        "flask/security/injection/subprocess-injection.py",
        "lang/security/audit/subprocess-shell-true.py",
        "lang/security/dangerous-subprocess-use.py",
        "lang/security/dangerous-system-call.py",
        "lang/security/dangerous-os-exec.py",
    ), ("B602", "B604", "B605")),
    Family("code-injection", ("eval-exec", "llm-output-executed"), (
        "django/security/injection/code/user-eval.py",
        "django/security/injection/code/user-eval-format-string.py",
        "django/security/injection/code/user-exec.py",
        "django/security/injection/code/user-exec-format-string.py",
        "flask/security/injection/user-eval.py",
        "flask/security/injection/user-exec.py",
        "lang/security/audit/eval-detected.py",
        "lang/security/audit/exec-detected.py",
        "lang/security/dangerous-code-run.py",
    ), ("B102", "B307")),
    Family("deserialization", ("pickle-untrusted", "yaml-unsafe-load"), (
        "lang/security/deserialization/avoid-pyyaml-load.py",
        "lang/security/deserialization/avoid-unsafe-ruamel.py",
        "lang/security/deserialization/avoid-jsonpickle.py",
        "flask/security/insecure-deserialization.py",
        "django/security/audit/avoid-insecure-deserialization.py",
    ), ("B301", "B302", "B506", "B614")),
    Family("tls", ("tls-verify-disabled",), (
        "requests/security/disabled-cert-validation.py",
        "lang/security/audit/network/disabled-cert-validation.py",
        "lang/security/unverified-ssl-context.py",
    ), ("B501", "B323")),
    Family("xss", ("xss-request-in-html", "xss-unescaped-markup", "jinja-autoescape-off"), (
        "flask/security/injection/raw-html-concat.py",
        "flask/security/audit/directly-returned-format-string.py",
        "flask/security/audit/render-template-string.py",
        "flask/security/xss/audit/explicit-unescape-with-markup.py",
        "flask/security/dangerous-template-string.py",
        "django/security/injection/raw-html-format.py",
        "django/security/injection/reflected-data-httpresponse.py",
        "django/security/injection/reflected-data-httpresponsebadrequest.py",
        "django/security/audit/avoid-mark-safe.py",
        "jinja2/security/audit/autoescape-disabled-false.py",
    ), ("B701", "B703", "B704")),
    Family("path-traversal", ("path-traversal", "archive-extract-traversal"), (
        "flask/security/injection/path-traversal-open.py",
        "django/security/injection/path-traversal/path-traversal-open.py",
        "django/security/injection/path-traversal/path-traversal-join.py",
        "django/security/injection/path-traversal/path-traversal-file-name.py",
        "django/security/injection/request-data-fileresponse.py",
        "django/security/injection/request-data-write.py",
    ), ("B202",)),
    Family("ssrf", ("ssrf",), (
        "flask/security/injection/ssrf-requests.py",
        "flask/security/injection/tainted-url-host.py",
        "django/security/injection/tainted-url-host.py",
    )),
    Family("open-redirect", ("open-redirect",), (
        "flask/security/open-redirect.py",
        "django/security/injection/open-redirect.py",
    )),
    Family("weak-password-hash", ("weak-password-hash",), (
        "lang/security/audit/md5-used-as-password.py",
    )),
    Family("insecure-cookie", ("insecure-cookie",), (
        "flask/security/audit/secure-set-cookie.py",
        "django/security/audit/secure-cookies.py",
    )),
    Family("mass-assignment", ("mass-assignment",), (
        "django/security/injection/mass-assignment.py",
    )),
    Family("hardcoded-secrets", ("hardcoded-app-secret",), (
        "flask/security/audit/hardcoded-config.py::avoid_hardcoded_config_SECRET_KEY",
        "jwt/security/jwt-hardcode.py",
    )),
    Family("debug-and-binds", ("web-debug-mode", "bind-all-interfaces"), (
        "flask/security/audit/debug-enabled.py",
        "lang/security/audit/network/bind.py",
    ), ("B201", "B104")),
    Family("cors", ("wildcard-cors",), (
        "fastapi/security/wildcard-cors.py",
    )),
    Family("timeouts", ("requests-no-timeout",), (
        "requests/best-practice/use-timeout.py",
    ), ("B113",)),
    Family("secrets-in-logs", ("secrets-in-logs",), (
        "lang/security/audit/logging/logger-credential-leak.py",
    )),
)

# Left out, and why:
# - semgrep's ssrf-injection-requests and ssrf-injection-urllib (django): they report
#   request data in the path of a URL whose scheme and host are fixed, which semgrep's own
#   tainted-url-host marks ok; microgate reports a URL whose host the request chooses.
# - semgrep's avoid-pickle and marshal-usage: they report writing data (pickle.dumps,
#   marshal.dumps), which runs nothing; microgate reports reading it back.
# - semgrep's dangerous-spawn-process: its data comes from sys.argv, chosen by whoever
#   starts the program; micro apps take untrusted data from requests and models.
# - semgrep's hardcoded-config rules for TESTING, ENV and DEBUG=False: a fixed setting is
#   not a flaw; debug mode switched on is (web-debug-mode).
# - bandit B313-B320 and semgrep's use-defused-xml-parse (any use of the standard
#   library's XML parsers): since Python 3.7.1 and expat 2.4.1 those parsers resolve no
#   external entities and cap entity expansion, and lxml resolves only internal entities
#   since 5.0; the XXE rule looks for parsers told to resolve external entities or load
#   DTDs. It is tested on microgate's own examples only.
# - bandit B324/B303 (any md5/sha1): a checksum is not a flaw; the weak-hash rule looks
#   for passwords hashed fast, as semgrep's md5-used-as-password does.
# - bandit B311 (any use of random): rated low by bandit itself, like every bandit issue
#   of low severity; the insecure-random rule looks for random values used as secrets.
# - bandit issues whose flagged call holds only constants (``'%s' % 'nos'``): constant
#   text cannot carry an attacker's input, and microgate never reports it by design.
