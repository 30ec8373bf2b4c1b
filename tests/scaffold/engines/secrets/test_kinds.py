"""Every kind of secret micro apps leak, found where it hides; its look-alikes left alone.

Each true example has a false twin: the same place in the same kind of file with a
placeholder, a reference or a public value instead of the secret.
"""

from __future__ import annotations

import json

import pytest

from scaffold.engines.secrets import SecretScanner
from testing.fakes import ALNUM, HEX, URL_SAFE, random_text

AWS_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
KEY_ID = "AK" + "IA" + random_text(AWS_ALPHABET, 16, "kid")
AWS_SECRET = random_text(ALNUM + "/+", 40, "aws-secret")
JWT = ("ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "ey" + "JzdWIiOiI0MjQyNDIiLCJuYW1lIjoi"
       "TWFyaWEgU2lsdmEiLCJpYXQiOjE3MTYyMzkwMjJ9." + random_text(URL_SAFE, 43, "jwt"))
PASSWORD = random_text(ALNUM, 14, "pw") + "!7"

TRUE_EXAMPLES = {
    "openai user key": ("config.py", 'OPENAI_API_KEY = "sk-' + random_text(ALNUM, 20, "o1")
                        + "T3Blbk" + "FJ" + random_text(ALNUM, 20, "o2") + '"'),
    "openai project key": (".env", "OPENAI_API_KEY=sk-" + "proj-" + random_text(URL_SAFE, 58, "p1")
                           + "T3Blbk" + "FJ" + random_text(URL_SAFE, 58, "p2")),
    "openai service-account key": ("app.js", "const k = 'sk-" + "svcacct-"
                                   + random_text(URL_SAFE, 60, "s1") + "T3Blbk" + "FJ"
                                   + random_text(URL_SAFE, 60, "s2") + "';"),
    "anthropic": ("llm.py", 'client = Anthropic(api_key="sk-' + "ant-api03-"
                  + random_text(URL_SAFE, 93, "an") + 'AA")'),
    "google ai": ("gemini.yaml", "gemini_api_key: AI" + "za" + random_text(URL_SAFE, 35, "gai")),
    "hugging face": ("hub.py", "login(token='hf" + "_" + random_text(ALNUM, 34, "hf") + "')"),
    "hugging face org in xml": ("cfg.xml", "<token>api_" + "org_" + random_text(ALNUM, 34, "ho")
                                + "</token>"),
    "hugging face org in backticks": ("README.md", "Use `api_" + "org_"
                                      + random_text(ALNUM, 34, "hb") + "` here"),
    "mistral": ("llm.env", "MISTRAL_API_KEY=" + random_text(ALNUM, 32, "mi")),
    "groq": ("groq.py", 'Groq(api_key="gsk' + "_" + random_text(ALNUM, 52, "gq") + '")'),
    "cohere": ("co.py", 'COHERE_API_KEY = "' + random_text(ALNUM, 40, "co") + '"'),
    "replicate": ("rep.sh", "export REPLICATE_API_TOKEN=r8" + "_" + random_text(ALNUM, 37, "r8")),
    "aws key id": ("deploy.sh", "export AWS_ACCESS_KEY_ID=" + KEY_ID),
    "aws secret beside its key id": ("creds.ini", f"[default]\nid = {KEY_ID}\nkey = {AWS_SECRET}"),
    "aws secret by name": ("tf.sh", "AWS_SECRET_ACCESS_KEY=" + AWS_SECRET),
    "github classic": ("ci.yml", "token: gh" + "p_" + random_text(ALNUM, 36, "ghc")),
    "github fine-grained": ("ci.yml", "token: github_" + "pat_11A" + random_text(ALNUM, 19, "f1")
                            + "_" + random_text(ALNUM, 59, "f2")),
    "gitlab personal": ("gl.env", "GITLAB_TOKEN=glpat-" + random_text(URL_SAFE, 20, "glp")),
    "gitlab ci build": ("gl.sh", "curl -H 'JOB-TOKEN: glcbt-" + random_text(ALNUM, 5, "cb1") + "_"
                        + random_text(ALNUM, 20, "cb2") + "'"),
    "gitlab feature flags": ("ff.py", 'client = Unleash("glffct-' + random_text(ALNUM, 20, "ffc")
                             + '")'),
    "slack bot": ("bot.py", 'SLACK_BOT_TOKEN = "xo' + "xb-2364535789652-4614724432022-"
                  + random_text(ALNUM, 24, "sb") + '"'),
    "slack app-level": ("app.py", 'APP_TOKEN = "xa' + "pp-1-A052FGTS2DL-5171572773297-"
                        + random_text(HEX, 64, "sa") + '"'),
    "slack webhook over http": ("notify.py", 'URL = "http://hooks.' + "slack.com/services/"
                                + "T04MCQ7EX/B052F7TS2/" + random_text(ALNUM, 24, "wh") + '"'),
    "stripe live": ("pay.py", 'stripe.api_key = "sk' + "_live_" + random_text(ALNUM, 24, "sl")
                    + '"'),
    "stripe prod restricted": ("pay.rb", "KEY = 'rk" + "_prod_" + random_text(ALNUM, 24, "rp")
                               + "'"),
    "jwt": ("auth.py", f'token = "{JWT}"'),
    "private key": ("id_rsa", "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + "\n".join(
        random_text(ALNUM + "+/", 70, f"k{i}") for i in range(5))
        + "\n-----END OPENSSH PRIVATE KEY-----"),
    "database url": ("settings.py", f'DATABASE_URL = "postgresql://app:{PASSWORD}@db.internal:5432/app"'),
    "broker url": ("celery.py", f"broker_url = 'amqp://worker:{PASSWORD}@mq.internal:5672//'"),
    "password in config": ("config.yaml", f"database:\n  password: {PASSWORD}"),
    "password in properties": ("app.properties", f"spring.datasource.password={PASSWORD}"),
    "password in json": ("secrets.json", json.dumps({"db": {"password": PASSWORD}})),
    "terraform variable default": ("variables.tf", 'variable "db_password" {\n  type = string\n'
                                   f'  default = "{PASSWORD}"\n}}'),
    "tfvars": ("prod.tfvars", f'db_password = "{PASSWORD}"'),
    "unquoted shell export": ("env.sh", "export API_TOKEN=" + random_text(ALNUM, 32, "sh")),
    "heredoc": ("setup.sh", "cat <<EOF > .env\nexport AWS_SECRET_ACCESS_KEY=" + AWS_SECRET
                + "\nEOF"),
    "notebook output": ("demo.ipynb", json.dumps({"cells": [{"cell_type": "code", "outputs": [
        {"text": ["key loaded: sk-" + "proj-" + random_text(URL_SAFE, 58, "nb1") + "T3Blbk" + "FJ"
                  + random_text(URL_SAFE, 58, "nb2") + "\n"]}], "source": []}]})),
}

FALSE_EXAMPLES = {
    "placeholder xxxx": ("config.py", 'OPENAI_API_KEY = "sk-proj-' + "x" * 80 + '"'),
    "your key here": (".env", "STRIPE_SECRET_KEY=your_stripe_secret_key_here"),
    "example word": ("README.md", "export GITHUB_TOKEN=ghp_" + "EXAMPLE" + "0" * 29),
    "sequence": ("maps.js", "const key = 'AI" + "za" + "Syabcdefghijklmnopqrstuvwxyz012345678';"),
    "repeated": ("hub.py", "token = 'hf" + "_" + "a" * 34 + "'"),
    "template variable": ("ci.yml", "api_key: ${{ secrets.OPENAI_API_KEY }}"),
    "jinja variable": ("app.env.j2", "DB_PASSWORD={{ db_password }}"),
    "env reference": ("settings.py", 'password = os.environ["DB_PASSWORD"]'),
    "terraform reference": ("main.tf", "password = var.db_password"),
    "git commit pin": ("main.tf", 'tags = { git_commit = "' + random_text(HEX, 40, "sha") + '" }'),
    "pre-commit rev": (".pre-commit-config.yaml", "  rev: " + random_text(HEX, 40, "rev")),
    "lockfile hash": ("requirements.txt", "flask==3.0.0 \\\n    --hash=sha256:"
                      + random_text(HEX, 64, "lock")),
    "sri digest": ("index.html", '<script src="a.js" integrity="sha384-'
                   + random_text(ALNUM + "+/", 64, "sri") + '"></script>'),
    "csp digest": ("csp.conf", "Content-Security-Policy: script-src 'sha256-"
                   + random_text(ALNUM + "+/", 43, "csp") + "='"),
    "uuid id": ("app.py", 'credentials_id = "' + "-".join(random_text(HEX, n, f"u{n}")
                                                         for n in (8, 4, 4, 4, 12)) + '"'),
    "public key name": ("app.js", 'const publishableKey = "pk_live_' + random_text(ALNUM, 24, "pk")
                        + '";'),
    "password prompt words": ("cli.py", 'password = "please enter your password"'),
    "marked test fixture": ("test_keys.py", 'FAKE = "sk' + "_live_" + random_text(ALNUM, 24, "fx")
                            + '"  # pragma: allowlist secret'),
    "marked for gitleaks": ("fixtures.go", 'key := "xo' + "xb-2364535789652-4614724432022-"
                            + random_text(ALNUM, 24, "gk") + '" // gitleaks:allow'),
    "short generic": ("app.py", "api_key = 'abc123'"),
    "secret word in prose": ("README.md", "Set the secret key in the settings page."),
    "database url without password": ("settings.py", 'DATABASE_URL = "postgresql://app@db/app"'),
    "database url placeholder": ("settings.py", 'DATABASE_URL = "postgresql://user:password@localhost/app"'),
}


@pytest.fixture(scope="module")
def scanner() -> SecretScanner:
    return SecretScanner()


@pytest.mark.parametrize("kind", sorted(TRUE_EXAMPLES))
def test_each_kind_is_found(scanner: SecretScanner, kind: str) -> None:
    name, text = TRUE_EXAMPLES[kind]
    assert scanner.findings_in_text(text + "\n", name), f"{kind} not found in {text!r}"


@pytest.mark.parametrize("kind", sorted(FALSE_EXAMPLES))
def test_each_lookalike_is_left_alone(scanner: SecretScanner, kind: str) -> None:
    name, text = FALSE_EXAMPLES[kind]
    assert scanner.findings_in_text(text + "\n", name) == [], f"{kind}: {text!r}"


def test_one_finding_per_line_and_kind(scanner: SecretScanner) -> None:
    name, text = TRUE_EXAMPLES["aws secret by name"]
    findings = scanner.findings_in_text(text + "\n", name)
    assert len({(f.line, f.type) for f in findings}) == len(findings) == 1


def test_a_provider_key_in_a_named_variable_is_one_finding_under_its_rule(
        scanner: SecretScanner) -> None:
    name, text = TRUE_EXAMPLES["openai project key"]
    findings = scanner.findings_in_text(text + "\n", name)
    assert [(f.line, f.rule_id) for f in findings] == [(1, "openai-api-key")]


@pytest.mark.parametrize("text", [
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    return parse(line)\n',
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
])
def test_a_private_key_header_without_a_key_is_not_one(scanner: SecretScanner, text: str) -> None:
    assert scanner.findings_in_text(text + "\n", "keys.py") == []
