"""Rule files in the gitleaks format: what each field does, as gitleaks documents it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.engines.secrets import SecretScanner, SecretsPolicy, default_secrets_policy
from scaffold.engines.secrets.rules import InvalidRules, RuleMatcher, read_rule_file
from testing.fakes import ALNUM, random_text

TOKEN = "acme_" + random_text(ALNUM, 32, "acme")


def matches(rules: str, text: str, tmp_path: Path, path: str = "app.py") -> list[str]:
    file = tmp_path / "rules.toml"
    file.write_text(rules)
    return [m.secret for m in RuleMatcher(read_rule_file(file)).matches(text, path)]


RULE = '''
[[rules]]
id = "acme-token"
description = "Acme token"
regex = \'\'\'\\b(acme_[A-Za-z0-9]{32})\\b\'\'\'
keywords = ["acme_"]
'''


def test_a_rule_finds_its_secret_and_the_secret_group(tmp_path: Path) -> None:
    assert matches(RULE, f"token = '{TOKEN}'", tmp_path) == [TOKEN]
    grouped = RULE.replace("(acme_[A-Za-z0-9]{32})", "(acme)_([A-Za-z0-9]{32})")
    assert matches(grouped + "secretGroup = 2\n", f"x {TOKEN}", tmp_path) == [TOKEN[5:]]
    # With no secretGroup, the first group that matched is the secret, as in gitleaks.
    assert matches(grouped, f"x {TOKEN}", tmp_path) == ["acme"]


def test_keywords_gate_a_rule_case_insensitively(tmp_path: Path) -> None:
    rule = RULE.replace('keywords = ["acme_"]', 'keywords = ["ACME-CORP"]')
    assert matches(rule, TOKEN, tmp_path) == []
    assert matches(rule, f"# Acme-Corp\n{TOKEN}", tmp_path) == [TOKEN]


def test_entropy_floor(tmp_path: Path) -> None:
    rule = RULE + "entropy = 3.5\n"
    assert matches(rule, f"{TOKEN}", tmp_path) == [TOKEN]
    assert matches(rule, "acme_" + "ab" * 16, tmp_path) == []


@pytest.mark.parametrize("allowlist, text, found", [
    ("regexes = ['''^acme_A''']", "acme_A" + TOKEN[6:], False),
    ("regexes = ['''^acme_A''']", TOKEN, True),
    ("regexTarget = 'line'\nregexes = ['''fixture''']", f"fixture = '{TOKEN}'", False),
    ("regexTarget = 'match'\nregexes = ['''^acme_''']", TOKEN, False),
    ("stopwords = ['" + TOKEN[8:14].lower() + "']", TOKEN, False),
    ("paths = ['''\\.md$''']", TOKEN, True),
    ("condition = 'AND'\npaths = ['''\\.py$''']\nregexTarget = 'line'\nregexes = ['''demo''']",
     TOKEN, True),
    ("condition = 'AND'\npaths = ['''\\.py$''']\nregexTarget = 'line'\nregexes = ['''demo''']",
     f"demo {TOKEN}", False),
])
def test_rule_allowlists(tmp_path: Path, allowlist: str, text: str, found: bool) -> None:
    rules = RULE + "[[rules.allowlists]]\n" + allowlist + "\n"
    assert bool(matches(rules, text, tmp_path)) is found


def test_global_allowlist_with_target_rules_and_old_single_table(tmp_path: Path) -> None:
    targeted = RULE + "[[allowlists]]\ntargetRules = ['other']\npaths = ['''app''']\n"
    assert matches(targeted, TOKEN, tmp_path) == [TOKEN]
    everyone = RULE + "[allowlist]\npaths = ['''app''']\n"
    assert matches(everyone, TOKEN, tmp_path) == []


def test_go_re2_syntax_loads(tmp_path: Path) -> None:
    rule = '''
[[rules]]
id = "go-syntax"
regex = \'\'\'key(?i)=\\s*([[:alnum:]]{8})(?-i)X\\z\'\'\'
'''
    assert matches(rule, "key=AbCd1234X", tmp_path) == ["AbCd1234"]
    assert matches(rule, "KEY=AbCd1234X", tmp_path) == []


def test_extend_the_default_rules_and_disable_some(tmp_path: Path) -> None:
    platform = tmp_path / "platform.toml"
    platform.write_text('[extend]\nuseDefault = true\ndisabledRules = ["github-token"]\n'
                        + RULE + '\n[[rules]]\nid = "stripe-key"\n'
                        '[[rules.allowlists]]\nregexTarget = "line"\nregexes = ["sandbox"]\n')
    policy = default_secrets_policy()
    scanner = SecretScanner(SecretsPolicy((platform,), frozenset(), policy.max_file_bytes))
    ids = {rule.id for rule in scanner.rules.active()}
    assert "acme-token" in ids and "openai-api-key" in ids and "github-token" not in ids
    github = "gh" + "p_" + random_text(ALNUM, 36, "gh")
    stripe = "sk" + "_live_" + random_text(ALNUM, 24, "st")
    text = f"a = '{TOKEN}'\nb = '{github}'\nc = '{stripe}'  # sandbox\nd = '{stripe}'\n"
    found = {(f.line, f.rule_id) for f in scanner.findings_in_text(text, "x.py")}
    assert (1, "acme-token") in found
    assert not any(line == 2 and rule == "github-token" for line, rule in found)
    assert (4, "stripe-key") in found and (3, "stripe-key") not in found


def test_policy_disables_rules_by_id() -> None:
    policy = default_secrets_policy()
    scanner = SecretScanner(SecretsPolicy(policy.rule_files, frozenset({"aws-access-key-id"}),
                                          policy.max_file_bytes))
    key = "AK" + "IA" + random_text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, "aws")
    assert [f.rule_id for f in scanner.findings_in_text(f"k = '{key}'\n", "a.py")] != [
        "aws-access-key-id"]


@pytest.mark.parametrize("text, problem", [
    ("[[rules]]\nregex = 'x'\n", "every rule needs an id"),
    ("[[rules]]\nid = 'a'\n", "a rule needs a regex or a path"),
    ("[[rules]]\nid = 'a'\nregex = '(unclosed'\n", "does not compile"),
    ("[[rules]]\nid = 'a'\nregex = 'x'\nsecretGroup = 3\n", "secretGroup 3"),
    ("[[rules]]\nid = 'a'\nregex = 'x'\n[[rules.allowlists]]\nregexTarget = 'commit'\n",
     "regexTarget"),
    ("[[rules]\n", "not valid TOML"),
    ("[extend]\npath = 'missing.toml'\n", "cannot read the rule file"),
])
def test_invalid_rule_files_say_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    file = tmp_path / "rules.toml"
    file.write_text(text)
    with pytest.raises(InvalidRules, match=problem):
        read_rule_file(file)


def test_default_rules_all_compile_and_have_keywords_or_are_few() -> None:
    rules = SecretScanner().rules.rules
    assert len(rules) >= 100
    for rule in rules:
        assert rule.compiled is not None, rule.id
    assert sum(not rule.keywords for rule in rules) == 0
