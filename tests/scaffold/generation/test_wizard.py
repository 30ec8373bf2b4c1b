"""The wizard, driven through a real terminal (pexpect), as a business user would."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

DOWN = "\x1b[B"
ENTER = "\r"
CTRL_C = "\x03"
CTRL_U = "\x15"


def spawn(cwd: Path, *args: str) -> pexpect.spawn:
    # answers kept for --resume go to the user's cache: a folder beside the test's own
    cache = cwd.parent / f"{cwd.name}-cache"
    env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "COLUMNS": "120",
           "XDG_CACHE_HOME": str(cache)}
    return pexpect.spawn(
        sys.executable, ["-m", "scaffold", "new", *args], cwd=str(cwd), env=env,
        encoding="utf-8", timeout=30, dimensions=(40, 120),
    )


def answer_text(child: pexpect.spawn, question: str, text: str) -> None:
    child.expect_exact(question)
    child.send(CTRL_U + text + ENTER)


def choose(child: pexpect.spawn, question: str, downs: int = 0) -> None:
    child.expect_exact(question)
    child.send(DOWN * downs + ENTER)


def test_wizard_creates_the_app_after_a_corrected_answer(tmp_path: Path) -> None:
    child = spawn(tmp_path, "--no-lock", "--no-install-hooks")
    answer_text(child, "What should the app be called?", "Sales Report")
    child.expect_exact("lowercase letters, digits and single hyphens")
    child.send(CTRL_U + "sales-report" + ENTER)
    answer_text(child, "what does it do, and for whom?", "Weekly sales for the team")
    answer_text(child, "Who owns it?", "ana@example.com")
    answer_text(child, "Which cost centre pays for it?", "cc-42")
    choose(child, "Who will use it?", downs=1)  # tier 1: my team
    choose(child, "most sensitive data", downs=0)  # starts on "internal"
    choose(child, "How should it run?", downs=1)  # container
    choose(child, "how soon must it be fixed?")
    choose(child, "How much will it be used?")
    child.expect_exact("Does it connect to other systems")
    child.send("y")
    answer_text(child, "Name of the system:", "crm")
    choose(child, "What is it?", downs=1)  # api
    choose(child, "only read from it", downs=1)  # write
    child.expect_exact("Add another system?")
    child.send("n")
    answer_text(child, "most it may cost a month", "lots")
    child.expect_exact("is not a number")
    child.send(CTRL_U + "900" + ENTER)
    child.expect_exact("$500")  # the cap, in the error under the prompt
    child.send(CTRL_U + "120" + ENTER)
    expires = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    answer_text(child, "switched off unless someone renews it?", expires)
    choose(child, "Where does your team keep code?")
    child.expect_exact("Your app:")
    child.expect_exact("Create the app in")
    child.send("y")
    child.expect_exact("Created sales-report")
    child.expect_exact("Write tests for the app's functions now?")
    child.send("y")
    child.expect_exact("every public function and class already has a test")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    manifest = yaml.safe_load((tmp_path / "sales-report" / "microapp.yaml").read_text())
    assert manifest["name"] == "sales-report"
    assert manifest["tier"] == 1
    assert manifest["runtime"] == "container"
    assert manifest["monthly_budget_usd"] == 120
    assert manifest["connectors"] == [{"name": "crm", "kind": "api", "access": "write"}]
    assert manifest["expires"].isoformat() == expires
    assert (tmp_path / "sales-report" / "app" / "server.py").is_file()


def test_tier_2_asks_for_an_approver(tmp_path: Path) -> None:
    child = spawn(tmp_path, "--no-lock", "--no-git", "--set", "name=org-tool",
                  "--set", "purpose=Org wide tool", "--set", "owner=ana@example.com",
                  "--set", "cost_center=cc-1")
    for question in ("What should the app be called?", "what does it do", "Who owns it?",
                     "Which cost centre"):
        child.expect_exact(question)
        child.send(ENTER)
    choose(child, "Who will use it?", downs=2)
    answer_text(child, "Who approves it for the organisation?", "cto@example.com")
    child.expect_exact("most sensitive data")
    child.send(CTRL_C)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stop_at", ["Who owns it?", "Create the app in"])
def test_ctrl_c_or_no_leaves_nothing_on_disk(tmp_path: Path, stop_at: str) -> None:
    child = spawn(tmp_path, "--no-lock", "--set", "name=quick-tool", "--set",
                  "purpose=Something quick", "--set", "owner=ana@example.com",
                  "--set", "cost_center=cc-1", "--set", "connectors=")
    child.expect_exact("What should the app be called?")
    child.send(ENTER)
    child.expect_exact("what does it do")
    child.send(ENTER)
    if stop_at == "Who owns it?":
        child.expect_exact(stop_at)
        child.send(CTRL_C)
        child.expect_exact("cancelled; no app was created")
    else:
        child.expect_exact("Who owns it?")
        child.send(ENTER)
        child.expect_exact("Which cost centre")
        child.send(ENTER)
        for question in ("Who will use it?", "most sensitive data", "How should it run?",
                         "how soon", "How much will it be used?", "Does it connect"):
            child.expect_exact(question)
            child.send(ENTER if question != "Does it connect" else "n")
        for question in ("most it may cost", "switched off", "Where does your team"):
            child.expect_exact(question)
            child.send(ENTER)
        child.expect_exact(stop_at)
        child.send("n")
        choose(child, "What now?", downs=1)  # stop here
        child.expect_exact("cancelled; no app was created")
        child.expect_exact("microgate new --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert list(tmp_path.iterdir()) == []


def finish_defaults(child: pexpect.spawn, after: str) -> None:
    """Enter through every question from ``after`` on (each default taken)."""
    order = ["Which cost centre", "Who will use it?", "most sensitive data",
             "How should it run?", "how soon", "How much will it be used?", "Does it connect",
             "most it may cost", "switched off", "Where does your team"]
    for question in order[order.index(after):]:
        child.expect_exact(question)
        child.send("n" if question == "Does it connect" else ENTER)


def create_and_finish(child: pexpect.spawn, name: str) -> None:
    """Say yes at the review, no to writing tests now, and see the app made."""
    child.expect_exact("Create the app in")
    child.send("y")
    child.expect_exact(f"Created {name}")
    child.expect_exact("Write tests for the app's functions now?")
    child.send("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_any_answer_can_be_changed_before_the_app_is_made(tmp_path: Path) -> None:
    child = spawn(tmp_path, "--no-lock", "--no-install-hooks")
    answer_text(child, "What should the app be called?", "feedback-digest")
    answer_text(child, "what does it do, and for whom?", "Weekly digest of feedback")
    answer_text(child, "Who owns it?", "ana@example.com")
    answer_text(child, "Which cost centre pays for it?", "cc-7")
    finish_defaults(child, "Who will use it?")
    child.expect(r"Runs as +serverless")
    child.expect_exact("Create the app in")
    child.send("n")
    choose(child, "What now?")  # change an answer
    # name, purpose, owner, cost centre, tier, data, runs as: the seventh
    choose(child, "Which answer do you want to change?", downs=6)
    choose(child, "How should it run?", downs=2)  # just pages
    child.expect(r"Runs as +static\-site")
    child.expect_exact("Create the app in")
    child.send("y")
    child.expect_exact("Writing the app's files from the template...")  # progress
    child.expect_exact("Making the first commit...")
    child.expect_exact("Created feedback-digest")
    child.expect_exact("Write tests for the app's functions now?")
    child.send("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    manifest = yaml.safe_load((tmp_path / "feedback-digest" / "microapp.yaml").read_text())
    assert manifest["runtime"] == "static-site" and manifest["cost_center"] == "cc-7"


def test_answers_survive_ctrl_c_and_resume_continues(tmp_path: Path) -> None:
    child = spawn(tmp_path, "--no-lock", "--no-install-hooks", "--no-git")
    answer_text(child, "What should the app be called?", "feedback-digest")
    answer_text(child, "what does it do, and for whom?", "Weekly digest of feedback")
    answer_text(child, "Who owns it?", "ana@example.com")
    child.expect_exact("Which cost centre")
    child.send(CTRL_C)
    child.expect_exact("microgate new --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and list(tmp_path.iterdir()) == []
    # the next run asks only what is left, then offers the review with every answer
    child = spawn(tmp_path, "--resume", "--no-lock", "--no-install-hooks", "--no-git")
    child.expect_exact("Continuing with the 3 answers you gave before")
    answer_text(child, "Which cost centre pays for it?", "cc-7")
    finish_defaults(child, "Who will use it?")
    child.expect(r"Name +feedback\-digest")
    child.expect(r"Owner +ana@example\.com")
    child.expect_exact("Create the app in")
    child.send(CTRL_C)  # Ctrl-C at the last step keeps everything too
    child.expect_exact("microgate new --resume")
    child.expect(pexpect.EOF)
    child.close()
    child = spawn(tmp_path, "--resume", "--no-lock", "--no-install-hooks", "--no-git")
    child.expect_exact("Continuing with the 13 answers you gave before")
    create_and_finish(child, "feedback-digest")
    manifest = yaml.safe_load((tmp_path / "feedback-digest" / "microapp.yaml").read_text())
    assert manifest["owner"] == "ana@example.com" and manifest["cost_center"] == "cc-7"
    # once the app is made, nothing is left to resume
    child = spawn(tmp_path, "--resume")
    child.expect_exact("no answers to resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2


def test_a_weekly_digest_is_a_scheduled_job(tmp_path: Path) -> None:
    child = spawn(tmp_path, "--no-lock", "--no-install-hooks", "--no-git")
    answer_text(child, "What should the app be called?", "feedback-digest")
    answer_text(child, "what does it do, and for whom?",
                "Summarise customer feedback emails and post a weekly digest")
    answer_text(child, "Who owns it?", "ana@example.com")
    answer_text(child, "Which cost centre pays for it?", "marketing")
    choose(child, "Who will use it?", downs=1)
    choose(child, "most sensitive data")
    choose(child, "How should it run?", downs=3)  # by itself at set times
    choose(child, "When should it run?")  # every Monday at 08:00
    finish_defaults(child, "how soon")
    child.expect(r"Runs at +Every Monday at 08:00 \(UTC\)")
    create_and_finish(child, "feedback-digest")
    repo = tmp_path / "feedback-digest"
    manifest = yaml.safe_load((repo / "microapp.yaml").read_text())
    assert manifest["runtime"] == "scheduled" and manifest["schedule"] == "cron(0 8 ? * MON *)"
    assert (repo / "app" / "job.py").is_file() and (repo / "infra" / "schedule.tf").is_file()
