"""`microgate fleet`: 50 generated repos from two template releases, some with local
edits, one with a conflict, one corrupt; list, update, expired, and the HTML report in
headless Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from testing.fleet import make_base, rename_copy
from testing.templates import released_template
from testing.util import MICROGATE, commit_all, git, microgate

# one worker runs this file: its module fixture is made once, not once a worker
pytestmark = pytest.mark.xdist_group("fleet")

TODAY = dt.date.today()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet")
    template = released_template(root / "template")
    bases = {"v1.0.0": make_base(template, root / "base-v1.0.0", "v1.0.0", "container"),
             "v1.1.0": make_base(template, root / "base-v1.1.0", "v1.1.0", "serverless")}
    apps = root / "apps"
    apps.mkdir()
    for index in range(50):
        version = "v1.0.0" if index % 2 == 0 else "v1.1.0"
        expires = TODAY + dt.timedelta(days=400 - index * 9)  # the last few are past it
        budget = 5.0 if index == 2 else float(10 + index)  # app-02 is over its budget
        app = rename_copy(bases[version], apps / f"app-{index:02d}", f"app-{index:02d}",
                          budget=budget, expires=expires)
        if index % 5 == 0:
            readme = app / "README.md"
            readme.write_text(readme.read_text() + f"\nTeam notes for app {index}.\n")
            commit_all(app, "our notes")
    clash = apps / "app-04" / "scripts" / "healthcheck.sh"
    clash.write_text(clash.read_text().replace("#!/usr/bin/env bash",
                                               "#!/usr/bin/env bash\n# Our own probe.", 1))
    commit_all(apps / "app-04", "our probe")
    (apps / "app-06" / "microapp.yaml").write_bytes(b"\x00\xffcorrupt")
    commit_all(apps / "app-06", "oops")
    (root / "repos.txt").write_text("# the fleet\n" + "".join(
        f"apps/app-{i:02d}\n" for i in range(50)))
    return root


def test_list_shows_every_app_and_the_broken_one(fleet: Path) -> None:
    result = microgate("fleet", "list", "--from", str(fleet / "repos.txt"), "--format", "json")
    assert result.returncode == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert len(rows) == 50
    assert rows["app-03"]["template_version"] == "v1.1.0"
    assert rows["app-02"]["template_version"] == "v1.0.0"
    assert rows["app-10"]["budget_usd"] == 20.0 and rows["app-10"]["tier"] == 0
    assert rows["app-10"]["runtime"] == "container" and rows["app-11"]["runtime"] == "serverless"
    assert 5 < rows["app-10"]["cost_usd"] < 20 < 30 == rows["app-20"]["budget_usd"]
    assert rows["app-06"]["problem"] == "the manifest is a binary file, not YAML text"
    table = microgate("fleet", "list", str(fleet / "apps"))
    assert table.stdout.splitlines()[0].split()[:4] == ["name", "owner", "tier", "runtime"]
    assert len(table.stdout.splitlines()) == 51
    as_csv = microgate("fleet", "list", str(fleet / "apps"), "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(as_csv.stdout)))) == 50


def test_expired_lists_the_apps_past_their_date(fleet: Path) -> None:
    result = microgate("fleet", "expired", str(fleet / "apps"), "--format", "json")
    names = sorted(row["name"] for row in json.loads(result.stdout))
    past = sorted(f"app-{i:02d}" for i in range(50) if 400 - i * 9 < 0 and i != 6)
    assert names == past and past


def test_last_check_result_is_shown(fleet: Path, tmp_path: Path) -> None:
    app = tmp_path / "checked"
    shutil.copytree(fleet / "apps" / "app-11", app, symlinks=True)
    microgate("check", "--all-files", "--repo", str(app), "--only", "manifest")  # partial
    assert json.loads(microgate("fleet", "list", str(app), "--format", "json").stdout
                      )[0]["last_check"] == "never"
    microgate("check", "--all-files", "--repo", str(app))
    row = json.loads(microgate("fleet", "list", str(app), "--format", "json").stdout)[0]
    assert row["last_check"].split()[0] in ("passed", "failed")
    assert git(app, "status", "--porcelain") == ""  # kept out of the tree


def test_update_of_the_fleet_summarises_and_survives_the_broken_repo(fleet: Path) -> None:
    result = microgate("fleet", "update", "--from", str(fleet / "repos.txt"), "--vcs-ref",
                       "v1.1.0", "--jobs", "2")
    assert result.returncode == 1, result.output  # one failed
    summary = result.stdout.splitlines()
    assert summary[0] == "50 apps: 23 updated, 25 already current, 1 in conflict, 1 failed"
    assert f"  conflict: app-04 ({fleet / 'apps' / 'app-04'}): scripts/healthcheck.sh" in summary
    assert any(line.startswith("  failed: app-06") and "fix microapp.yaml before updating"
               in line for line in summary)
    assert "[##############################] 50/50" in result.stderr
    notes = (fleet / "apps" / "app-10" / "README.md").read_text()
    assert "Team notes for app 10." in notes
    assert "# Checked by the platform's v1.1 health probe." in (
        fleet / "apps" / "app-10" / "scripts" / "healthcheck.sh").read_text()


def test_the_report_renders_a_chart_in_headless_chromium(fleet: Path, tmp_path: Path) -> None:
    from PIL import Image

    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")

    page = tmp_path / "fleet.html"
    result = microgate("fleet", "report", str(fleet / "apps"), "--html", str(page))
    assert result.returncode == 0, result.output
    assert "50 apps, current template v1.1.0" in result.stdout
    html = page.read_text()
    assert "<b>1</b>over budget" in html and "<b>5</b>past expiry" in html
    assert html.count('class="bar"') == 49  # every readable app has a bar
    assert "the manifest is a binary file" in html
    screenshot = tmp_path / "fleet.png"
    profile = tmp_path / "chromium-profile"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                    "--hide-scrollbars", "--window-size=1100,1800",
                    f"--screenshot={screenshot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    image = Image.open(screenshot).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000) or []
    counts = {colour: count for count, colour in colours}
    under, over = counts.get((62, 124, 177), 0), counts.get((214, 69, 69), 0)
    assert under > 5_000, "the blue bars (within budget) are not on the screenshot"
    assert over > 1_000, "the red bar (app-02, over budget) is not on the screenshot"


@pytest.mark.parametrize(("jobs", "to_group"), [("2", False), ("1", True)],
                         ids=["parallel, Ctrl-C to microgate only", "one at a time, Ctrl-C "
                              "from the terminal"])
def test_ctrl_c_stops_the_fleet_update_and_says_what_was_done(
        tmp_path: Path, jobs: str, to_group: bool) -> None:
    template = released_template(tmp_path / "template")
    base = make_base(template, tmp_path / "base", "v1.0.0", "container")
    apps = [rename_copy(base, tmp_path / "apps" / f"app-{i}", f"app-{i}", budget=20.0,
                        expires=TODAY + dt.timedelta(days=30)) for i in range(6)]
    process = subprocess.Popen([*MICROGATE, "fleet", "update", str(tmp_path / "apps"),
                                "--vcs-ref", "v1.1.0", "--jobs", jobs],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        first = process.stderr.readline() if process.stderr else ""  # one app is done
        if to_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=300)
    finally:
        process.kill()
    assert "1/6" in first, first + err
    assert process.returncode == 130, err
    assert "Traceback" not in err
    changed = [app for app in apps if git(app, "status", "--porcelain", "--ignored")]
    assert 1 <= len(changed) < len(apps)  # stopped before the end
    summary = out.splitlines()[0]
    assert summary.startswith(f"6 apps: {len(changed)} updated, ")
    assert summary.endswith(f", {6 - len(changed)} not updated (stopped)")
    assert err.strip().splitlines()[-1] == (
        f"microgate: cancelled: {6 - len(changed)} of 6 apps were not updated (never "
        "started, or rolled back to their last commit); the summary above lists the others")
