"""The ``microgate new`` wizard: plain-language questions for a business user.

Every answer is checked as it is typed, with the same rules (and messages) as the
manifest model and the platform's policy, so what the wizard accepts always validates.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scaffold.errors import Cancelled
from scaffold.generation.answers import git_user_email
from scaffold.manifest import field_error
from scaffold.policy import SENSITIVITY_ORDER, TierPolicy

SENSITIVITY_HELP = {
    "public": "Public: anything you could put on the website",
    "internal": "Internal: ordinary company information, no personal data",
    "confidential": "Confidential: customer or employee personal data, contracts",
    "restricted": "Restricted: health, payment card, passwords, regulated data",
}
RUNTIME_HELP = {
    "serverless": "On demand: it runs when someone calls it (serverless)",
    "container": "Always on: a small website or API that keeps running (container)",
    "static-site": "Just pages: no server code, only files people open (static site)",
    "scheduled": "By itself at set times, like a weekly digest (scheduled job)",
}
SCHEDULE_HELP = {
    "cron(0 8 ? * MON *)": "Every Monday at 08:00 (UTC)",
    "cron(0 8 * * ? *)": "Every day at 08:00 (UTC)",
    "rate(1 hour)": "Every hour",
    "cron(0 8 1 * ? *)": "On the first of every month at 08:00 (UTC)",
}
SLA_HELP = {
    "best-effort": "Whenever someone has time (best effort)",
    "business-hours": "Within business hours",
    "24x7": "Any time, day or night (24x7)",
}
TRAFFIC_HELP = {
    "low": "A few people, under 1,000 requests a day",
    "medium": "Many people, up to 100,000 requests a day",
    "high": "More than that",
}
CONNECTOR_KINDS = {
    "database": "A database",
    "api": "Another system's API",
    "spreadsheet": "A spreadsheet",
    "storage": "File storage",
    "email": "Email",
    "llm": "An AI model (LLM)",
    "other": "Something else",
}
CI_HELP = {"github": "GitHub", "gitlab": "GitLab"}
CANCELLED = ("cancelled; no app was created. Your answers so far are kept: run "
             "'microgate new --resume' to continue.")
# What the review step can change, with the label the summary shows.
CHANGEABLE = {
    "name": "Name", "purpose": "Purpose", "owner": "Owner", "cost_center": "Cost centre",
    "tier": "Tier", "approver": "Approver", "data_sensitivity": "Data", "runtime": "Runs as",
    "schedule": "Runs at",
    "sla": "Fix within", "traffic": "Traffic", "connectors": "Connects to",
    "monthly_budget_usd": "Budget", "expires": "Expires", "ci": "CI",
}
# Answers that the tier limits: asked again when the tier changes.
TIER_BOUND = ("approver", "data_sensitivity", "monthly_budget_usd", "expires")


def resume_file() -> Path:
    """Where the wizard keeps answers between a Ctrl-C and ``new --resume`` (the user's
    cache, never the app's folder)."""
    from scaffold.userdirs import cache_dir

    return cache_dir() / "new-answers.json"


def save_answers(answers: dict[str, Any]) -> None:
    path = resume_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".tmp")
        scratch.write_text(json.dumps(answers, default=str), encoding="utf-8")
        scratch.replace(path)
    except OSError:
        pass  # keeping answers is a convenience; the wizard goes on without it


def load_saved_answers() -> dict[str, Any]:
    from scaffold.errors import UsageError

    try:
        data = json.loads(resume_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError("no answers to resume: start with 'microgate new'") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{resume_file()}: the kept answers cannot be read "
                         f"({type(exc).__name__}); start again with 'microgate new'") from None
    if not isinstance(data, dict):
        raise UsageError(f"{resume_file()}: the kept answers cannot be read; start again "
                         "with 'microgate new'")
    return data


def forget_answers() -> None:
    try:
        resume_file().unlink()
    except OSError:
        pass


def _validator(check: Callable[[str], str | None]) -> Callable[[str], bool | str]:
    """Adapt 'message or None' to questionary's 'True or message'."""

    def validate(text: str) -> bool | str:
        return check(text) or True

    return validate


def _field_check(name: str) -> Callable[[str], str | None]:
    return lambda text: field_error(name, text.strip())


def _budget_check(cap: float) -> Callable[[str], str | None]:
    def check(text: str) -> str | None:
        try:
            value = float(text.strip().lstrip("$").replace(",", ""))
        except ValueError:
            return f"{text.strip()!r} is not a number; give US dollars a month, like 50"
        if value <= 0:
            return "the budget must be more than 0"
        if value > cap:
            return f"${value:g} is over this tier's cap of ${cap:g} a month"
        return None

    return check


def _expiry_check(today: dt.date, max_days: int) -> Callable[[str], str | None]:
    def check(text: str) -> str | None:
        try:
            value = dt.date.fromisoformat(text.strip())
        except ValueError:
            return f"{text.strip()!r} is not a date; write it as YYYY-MM-DD"
        if value <= today:
            return "the date must be in the future"
        if (value - today).days > max_days:
            latest = today + dt.timedelta(days=max_days)
            return f"at most {max_days} days ahead for this tier (by {latest.isoformat()})"
        return None

    return check


class Wizard:
    """Asks the questions; ``preset`` answers (from --set) become the defaults."""

    def __init__(
        self, policy: TierPolicy, preset: dict[str, Any], today: dt.date | None = None,
        answered: dict[str, Any] | None = None,
    ) -> None:
        self.policy = policy
        self.preset = preset
        self.today = today or dt.date.today()
        # Answers already given (``new --resume``): not asked again.
        self.answered = dict(answered or {})

    @staticmethod
    def _ask(question: Any) -> Any:
        try:
            answer = question.unsafe_ask()
        except KeyboardInterrupt:
            raise Cancelled(CANCELLED) from None
        if answer is None:
            raise Cancelled(CANCELLED)
        return answer

    def _text(self, message: str, name: str, check: Callable[[str], str | None],
              default: str = "", instruction: str | None = None) -> str:
        import questionary

        preset = self.preset.get(name)
        answer: str = self._ask(
            questionary.text(
                message,
                default=str(preset) if preset not in (None, "") else default,
                validate=_validator(check),
                instruction=instruction,
            )
        )
        return answer.strip()

    def _select(self, message: str, name: str, options: dict[str, str],
                disabled: dict[str, str] | None = None, default: str | None = None) -> Any:
        import questionary

        disabled = disabled or {}
        choices = [
            questionary.Choice(title=label, value=value, disabled=disabled.get(value))
            for value, label in options.items()
        ]
        preset = self.preset.get(name, default)
        start = preset if preset in options and preset not in disabled else None
        return self._ask(questionary.select(message, choices=choices, default=start))

    def _confirm(self, message: str, default: bool) -> bool:
        import questionary

        return bool(self._ask(questionary.confirm(message, default=default)))

    def ask(self) -> dict[str, Any]:
        """Every question in order; answers already given are kept, and each new one is
        saved at once, so that Ctrl-C loses nothing ``new --resume`` cannot bring back."""
        answers: dict[str, Any] = dict(self.answered)
        try:
            while True:  # the steps depend on the answers (tier 2 asks for an approver)
                key = next((k for k in self._steps(answers) if k not in answers), None)
                if key is None:
                    break
                answers[key] = self.ask_one(key, answers)
                save_answers(answers)
        except Cancelled:
            save_answers(answers)
            raise
        for key in ("region", "quality"):
            if key in self.preset:
                answers[key] = self.preset[key]
        return answers

    def _steps(self, answers: dict[str, Any]) -> list[str]:
        steps = ["name", "purpose", "owner", "cost_center", "tier"]
        if "tier" in answers and self.policy.rule(int(answers["tier"])).approver_required:
            steps.append("approver")
        steps += ["data_sensitivity", "runtime"]
        if answers.get("runtime") == "scheduled":
            steps.append("schedule")
        return steps + ["sla", "traffic", "connectors", "monthly_budget_usd", "expires", "ci"]

    def ask_one(self, key: str, answers: dict[str, Any]) -> Any:
        """One question; its default is the answer already given, if any."""
        rule = self.policy.rule(int(answers.get("tier", 0)))
        if key == "name":
            return self._text("What should the app be called?", "name", _field_check("name"),
                              instruction="(lowercase letters, digits and hyphens, like "
                              "sales-report)")
        if key == "purpose":
            return self._text("In one sentence, what does it do, and for whom?", "purpose",
                              _field_check("purpose"))
        if key == "owner":
            return self._text("Who owns it? Your work email:", "owner",
                              _field_check("owner"), default=git_user_email() or "")
        if key == "cost_center":
            return self._text("Which cost centre pays for it?", "cost_center",
                              _field_check("cost_center"),
                              instruction="(ask your manager if unsure)")
        if key == "tier":
            tiers = {
                str(tier): f"{tier_rule.description} (tier {tier}, up to "
                f"${tier_rule.max_monthly_budget_usd:g} a month)"
                for tier, tier_rule in sorted(self.policy.tiers.items())
            }
            preset_tier = self.preset.get("tier")
            self.preset["tier"] = str(preset_tier) if preset_tier is not None else "0"
            return int(self._select("Who will use it?", "tier", tiers))
        if key == "approver":
            return self._text("Who approves it for the organisation? Their email:",
                              "approver", _field_check("approver"))
        if key == "data_sensitivity":
            blocked = {
                level: f"needs tier {self.policy.lowest_tier_for(level)}"
                for level in SENSITIVITY_ORDER
                if not rule.allows_sensitivity(level)
            }
            return self._select("What is the most sensitive data it touches?",
                                "data_sensitivity", SENSITIVITY_HELP, blocked,
                                default="internal")
        if key == "runtime":
            return self._select("How should it run?", "runtime", RUNTIME_HELP)
        if key == "schedule":
            options = dict(SCHEDULE_HELP)
            current = self.preset.get("schedule")
            if current and current not in options:
                options[current] = f"As set before: {current}"
            return self._select("When should it run?", "schedule", options)
        if key == "sla":
            return self._select("If it breaks, how soon must it be fixed?", "sla", SLA_HELP)
        if key == "traffic":
            return self._select("How much will it be used?", "traffic", TRAFFIC_HELP)
        if key == "connectors":
            return self._ask_connectors()
        if key == "monthly_budget_usd":
            cap = rule.max_monthly_budget_usd
            return float(self._text(
                "What is the most it may cost a month, in US dollars?", "monthly_budget_usd",
                _budget_check(cap), default=f"{min(20.0, cap):g}",
                instruction=f"(at most ${cap:g} for this tier)",
            ).lstrip("$").replace(",", ""))
        if key == "expires":
            default_expiry = self.today + dt.timedelta(days=min(90, rule.max_ttl_days))
            return self._text(
                "When should it be switched off unless someone renews it?", "expires",
                _expiry_check(self.today, rule.max_ttl_days),
                default=default_expiry.isoformat(),
                instruction=f"(YYYY-MM-DD, at most {rule.max_ttl_days} days ahead)")
        if key == "ci":
            return self._select("Where does your team keep code?", "ci", CI_HELP)
        raise ValueError(key)

    def change(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Ask which answer to change, ask it again (its old value as the default), and
        the answers the tier limits when the tier changed."""
        import questionary

        shown = {key: label for key, label in CHANGEABLE.items()
                 if key in answers or key in ("approver", "schedule")
                 and key in self._steps(answers)}
        choices = [questionary.Choice(f"{label}: {_shown_value(key, answers.get(key))}", key)
                   for key, label in shown.items()]
        key = self._ask(questionary.select("Which answer do you want to change?",
                                           choices=choices))
        changed = dict(answers)
        self.preset = {**self.preset, **{k: v for k, v in answers.items() if k != "connectors"}}
        if key == "tier":
            self.preset["tier"] = str(answers.get("tier", 0))
        changed[key] = self.ask_one(key, changed)
        if key == "runtime" and changed["runtime"] == "scheduled" and "schedule" not in changed:
            changed["schedule"] = self.ask_one("schedule", changed)
        if key == "runtime" and changed["runtime"] != "scheduled":
            changed.pop("schedule", None)
        if key == "tier" and changed["tier"] != answers.get("tier"):
            for bound in TIER_BOUND:
                if bound in self._steps(changed):
                    self.preset[bound] = changed.get(bound, self.preset.get(bound))
                    changed[bound] = self.ask_one(bound, changed)
            if "approver" not in self._steps(changed):
                changed.pop("approver", None)
        save_answers(changed)
        return changed

    def _ask_connectors(self) -> list[dict[str, str]]:
        preset = self.preset.pop("connectors", None)
        if isinstance(preset, list) and preset:
            return preset
        connectors: list[dict[str, str]] = []
        if not self._confirm(
            "Does it connect to other systems (databases, APIs, spreadsheets)?", False
        ):
            return connectors
        while True:
            taken = {c["name"] for c in connectors}

            def check_name(text: str, taken: set[str] = taken) -> str | None:
                if text.strip() in taken:
                    return f"{text.strip()} is already listed"
                return field_error("name", text.strip())

            name = self._text(
                "Name of the system:", "connector_name", check_name,
                instruction="(short, like crm or finance-sheet)",
            )
            kind = self._select("What is it?", "connector_kind", CONNECTOR_KINDS)
            access = self._select(
                "Does the app only read from it, or also change it?", "connector_access",
                {"read": "Only reads", "write": "Also writes or changes data"},
            )
            connectors.append({"name": name, "kind": kind, "access": access})
            if not self._confirm("Add another system?", False):
                return connectors

    def review(self, answers: dict[str, Any], dest: str,
               validate: Callable[[dict[str, Any]], str | None]) -> dict[str, Any]:
        """Show the answers; create, change any of them, or stop (answers kept).
        ``validate`` says what is wrong with a combination of answers, if anything."""
        import questionary

        while True:
            print(summary_text(answers))
            problem = validate(answers)
            if problem:
                print(f"This does not fit yet: {problem}")
            elif self._confirm_or_keep(f"Create the app in {dest}?", answers):
                return answers
            action = self._ask_keeping(questionary.select(
                "What now?", choices=[
                    questionary.Choice("Change an answer", "change"),
                    questionary.Choice("Stop here (answers are kept for 'microgate new "
                                       "--resume')", "stop"),
                ]), answers)
            if action == "stop":
                save_answers(answers)
                raise Cancelled(CANCELLED)
            try:
                answers = self.change(answers)
            except Cancelled:
                save_answers(answers)
                raise

    def _confirm_or_keep(self, message: str, answers: dict[str, Any]) -> bool:
        import questionary

        return bool(self._ask_keeping(questionary.confirm(message, default=True), answers))

    def _ask_keeping(self, question: Any, answers: dict[str, Any]) -> Any:
        try:
            return self._ask(question)
        except Cancelled:
            save_answers(answers)
            raise

    def offer_tests(self) -> bool:
        import questionary

        try:
            answer = questionary.confirm(
                "Write tests for the app's functions now? (each commit needs them)",
                default=True).unsafe_ask()
        except KeyboardInterrupt:
            return False
        return bool(answer)


def ask_failed_test(test: str, can_regenerate: bool) -> str:
    """What to do with a generated test that failed: xfail, regenerate or drop."""
    import questionary

    choices = [
        questionary.Choice("Keep it, marked as expected to fail, with the reason", "xfail"),
        questionary.Choice("Drop it", "drop"),
    ]
    if can_regenerate:
        choices.insert(1, questionary.Choice("Ask the LLM to write it again", "regenerate"))
    try:
        answer = questionary.select(f"What should happen to {test}?", choices=choices,
                                    default="drop").unsafe_ask()
    except KeyboardInterrupt:
        return "drop"
    return str(answer or "drop")


def _shown_value(key: str, value: Any) -> str:
    if key == "connectors":
        return ", ".join(f"{c['name']} ({c['kind']}, {c['access']})"
                         for c in value or []) or "nothing"
    if key == "monthly_budget_usd":
        return f"${float(value):g} a month"
    return "-" if value in (None, "") else str(value)


def summary_text(answers: dict[str, Any]) -> str:
    connectors = answers.get("connectors") or []
    rows = [
        ("Name", answers["name"]),
        ("Purpose", answers["purpose"]),
        ("Owner", answers["owner"]),
        ("Cost centre", answers["cost_center"]),
        ("Tier", str(answers["tier"])),
        ("Approver", answers.get("approver") or "-"),
        ("Data", answers["data_sensitivity"]),
        ("Runs as", answers["runtime"]),
        *([("Runs at", SCHEDULE_HELP.get(answers["schedule"], answers["schedule"]))]
          if answers.get("schedule") else []),
        ("Fix within", answers.get("sla", "best-effort")),
        ("Traffic", answers.get("traffic", "low")),
        ("Connects to", ", ".join(f"{c['name']} ({c['kind']}, {c['access']})"
                                  for c in connectors) or "nothing"),
        ("Budget", f"${float(answers['monthly_budget_usd']):g} a month"),
        ("Expires", str(answers["expires"])),
        ("CI", answers.get("ci", "github")),
    ]
    width = max(len(label) for label, _ in rows)
    lines = ["", "Your app:"] + [f"  {label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(lines) + "\n"
