"""Fake keys in the shapes of real ones, assembled at run time so no literal key sits in the
source. Their random parts come from a seeded generator: they look like real keys (no
runs, no repeats), which is what the precision filters let through."""

from __future__ import annotations

import random
import string

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
URL_SAFE = ALNUM + "_-"
HEX = "0123456789abcdef"


def random_text(alphabet: str, length: int, seed: str) -> str:
    """A random-looking string: seeded, so every run of the tests plants the same one."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


def _pem_body() -> str:
    return "\n".join(random_text(ALNUM + "+/", 64, f"pem{i}") for i in range(4))


FAKE_SECRETS: dict[str, tuple[str, str]] = {
    # name: (line of code holding it, the type microgate reports)
    "openai": ('OPENAI_API_KEY = "sk-' + "proj-" + random_text(URL_SAFE, 56, "oa1") + "T3Blbk"
               + "FJ" + random_text(URL_SAFE, 56, "oa2") + '"', "OpenAI API key"),
    "anthropic": ('key = "sk-' + "ant-api03-" + random_text(URL_SAFE, 93, "an") + 'AA"',
                  "Anthropic API key"),
    "huggingface": ('HF = "hf' + "_" + random_text(ALNUM, 34, "hf") + '"',
                    "Hugging Face access token"),
    "google": ('maps_key = "AI' + "za" + "Sy" + random_text(URL_SAFE, 33, "gg") + '"',
               "Google API key"),
    "github-classic": ('TOKEN = "gh' + "p_" + random_text(ALNUM, 36, "gh") + '"',
                       "GitHub token"),
    "github-fine": ('T = "github' + "_pat_" + "11ABCDEFG0" + random_text(ALNUM + "_", 72, "gf")
                    + '"', "GitHub fine-grained personal access token"),
    "slack-token": ('SLACK = "xo' + "xb-" + "2364535789652-" + "4614724432022-"
                    + random_text(ALNUM, 24, "sl") + '"', "Slack token"),
    "slack-webhook": ('HOOK = "https://hooks.' + "slack.com/services/T04MCQ7EX/B052F7TS2/"
                      + random_text(ALNUM, 24, "wh") + '"',
                      "Slack incoming webhook or workflow URL"),
    "stripe": ('STRIPE = "sk' + "_live_" + random_text(ALNUM, 24, "st") + '"',
               "Stripe secret or restricted key"),
    "aws": ('AWS_ACCESS_KEY_ID = "AK' + "IA" + random_text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16,
                                                          "aws") + '"', "AWS access key id"),
    "private-key": ("-----BEGIN RSA " + "PRIVATE KEY-----\n" + _pem_body()
                    + "\n-----END RSA PRIVATE KEY-----", "Private key"),
    "database-url": ('DB = "postgres' + "://app:" + random_text(ALNUM, 18, "db")
                     + '@db.internal.net:5432/app"', "Password in a URL"),
}


def secret_line(name: str) -> str:
    return FAKE_SECRETS[name][0]


def secret_value(name: str) -> str:
    line = FAKE_SECRETS[name][0]
    if name == "private-key":
        return line.splitlines()[1]
    return line.split('"')[1] if '"' in line else line
