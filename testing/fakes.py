"""Well-known fake key formats, assembled at run time so no literal key sits in the source."""

from __future__ import annotations

FAKE_SECRETS: dict[str, tuple[str, str]] = {
    # name: (line of code holding it, the type microgate reports)
    "openai": ('OPENAI_API_KEY = "sk-' + "proj-" + "A1b2C3d4E5f6" * 4 + '"', "OpenAI API Key"),
    "anthropic": ('key = "sk-' + "ant-api03-" + "Zz09Yy87" * 10 + '"', "Anthropic API Key"),
    "huggingface": ('HF = "hf' + "_" + "abcdEFGHijklMNOP" * 2 + 'qr"', "Hugging Face Token"),
    "google": ('maps_key = "AI' + "za" + "Sy" + "B" * 33 + '"', "Google API Key"),
    "github-classic": ('TOKEN = "gh' + "p_" + "aBcDeFgHiJ" * 3 + 'kLmNoP"', "GitHub Token"),
    "github-fine": ('T = "github' + "_pat_" + "11ABCDEFG0" + "x1Y2z3" * 14 + '"',
                    "GitHub Fine-Grained Token"),
    "slack-token": ('SLACK = "xo' + "xb-" + "1234567890-1234567890123-" + "abcdEFGHij" * 2
                    + 'klmn"', "Slack Token"),
    "slack-webhook": ('HOOK = "https://hooks.' + "slack.com/services/T0000000/B0000000/"
                      + "XXXXXXXXXXXXXXXXXXXXXXXX" + '"', "Slack Token"),
    "stripe": ('STRIPE = "sk' + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + '"',
               "Stripe Restricted or Secret Key"),
    "aws": ('AWS_ACCESS_KEY_ID = "AK' + "IA" + "IOSFODNN7EXAMPLE" + '"', "AWS Access Key"),
    "private-key": ("-----BEGIN RSA " + "PRIVATE KEY-----", "Private Key"),
    "database-url": ('DB = "postgres' + "://app:S3cret-Passw0rd@db.example.com:5432/app" + '"',
                     "Database URL With Password"),
}


def secret_line(name: str) -> str:
    return FAKE_SECRETS[name][0]


def secret_value(name: str) -> str:
    line = FAKE_SECRETS[name][0]
    return line.split('"')[1] if '"' in line else line
