"""scaffold/engines/checkovserver.py: checkov scans forked from one warm checkov process
report what a process per scan reports, carry nothing from one scan to the next, and
survive a server that dies, a changed environment, a fork of the caller and a scan that
is stopped. Real checkov, in its own environment."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from scaffold.engines import checkovserver
from scaffold.engines.iac import check_tree, checkov_findings, start_checkov
from scaffold.engines.tools import find_tool
from scaffold.errors import MicrogateError
from testing.terraform import BUDGET, OPEN_BUCKET, write


@pytest.fixture(autouse=True)
def scans_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scan here is checkov's, not an answer kept from an earlier one."""
    monkeypatch.setenv("MICROGATE_NO_PARSE_CACHE", "1")
    monkeypatch.delenv(checkovserver.OFF_VARIABLE, raising=False)



def found(folder: Path) -> list[tuple[str, int, str, str]]:
    report = check_tree(folder, [folder], find_tool("checkov"))
    return sorted((f.path.relative_to(folder).as_posix(), f.line, f.rule, f.message)
                  for f in report.findings)


def server_pid() -> int:
    [server] = checkovserver._servers.values()
    return server.process.pid


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_forked_scans_report_what_a_process_per_scan_reports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_app = write(tmp_path / "open", {
        "main.tf": BUDGET + OPEN_BUCKET + 'resource "aws_s3_bucket" "site" {\n'
                   '  bucket = "b"\n  acl    = "public-read"\n}\n',
        "modules/db/main.tf": 'resource "aws_db_instance" "d" {\n  engine = "postgres"\n'
                              '  instance_class = "db.t3.micro"\n}\n'})
    closed_app = write(tmp_path / "closed", {"main.tf": "# nothing to create yet\n"})
    forked = [found(open_app), found(closed_app), found(open_app)]
    assert {"CKV_AWS_53", "CKV_MG_3", "CKV_MG_4"} <= {rule for _, _, rule, _ in forked[0]}
    assert any(path == "modules/db/main.tf" for path, *_ in forked[0])
    assert forked[1] == []  # nothing of the scan before it
    assert forked[2] == forked[0]
    monkeypatch.setenv(checkovserver.OFF_VARIABLE, "off")
    assert [found(open_app), found(closed_app)] == forked[:2]


def test_one_server_serves_the_scans_and_a_dead_one_is_started_again(tmp_path: Path) -> None:
    app = write(tmp_path / "app", {"main.tf": BUDGET + OPEN_BUCKET})
    first = found(app)
    pid = server_pid()
    write(app, {"extra.tf": "# another file\n"})
    assert found(app) == first
    assert server_pid() == pid
    os.kill(pid, signal.SIGKILL)
    write(app, {"extra.tf": "# changed\n"})
    assert found(app) == first
    assert server_pid() != pid


def test_a_changed_environment_starts_a_new_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """checkov reads its settings as it is imported: a server started before a setting
    changed would scan with the old one."""
    app = write(tmp_path / "app", {"main.tf": BUDGET + OPEN_BUCKET})
    first = found(app)
    pid = server_pid()
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "another test (call)")
    monkeypatch.setenv("MICROGATE_LLM_TIMEOUT", "5")  # microgate's, not checkov's
    found(app)
    assert server_pid() == pid
    monkeypatch.setenv("CKV_FRAMEWORK", "terraform")
    assert found(app) == first
    assert server_pid() != pid
    assert not alive(pid)


def test_a_fork_of_the_caller_starts_a_server_of_its_own(tmp_path: Path) -> None:
    """A process pool forked from a process with a server must not share its pipes."""
    app = write(tmp_path / "app", {"main.tf": BUDGET + OPEN_BUCKET})
    first = found(app)
    parents = server_pid()
    read, written = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the fork reports through the pipe
        code = 1
        try:
            os.close(read)
            answer = {"found": found(app), "server": server_pid()}
            os.write(written, json.dumps(answer).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(written)
    with os.fdopen(read, "rb") as pipe:
        answer = json.loads(pipe.read() or b"{}")
    assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
    assert [tuple(row) for row in answer["found"]] == first
    assert answer["server"] != parents
    assert alive(parents)  # the fork left its parent's server alone
    write(app, {"extra.tf": "# changed\n"})
    assert found(app) == first and server_pid() == parents


def test_a_scan_whose_process_is_killed_is_a_clear_error_and_the_next_one_works(
        tmp_path: Path) -> None:
    import time

    app = write(tmp_path / "app", {"main.tf": BUDGET + OPEN_BUCKET})
    first = found(app)
    pid = server_pid()
    write(app, {"extra.tf": "# changed\n"})
    scan = start_checkov(app, find_tool("checkov"))  # a scan takes ~0.3 s: time to stop it
    assert isinstance(scan, checkovserver.ForkedScan)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + 30
    while not children.read_text().split() and time.monotonic() < deadline:
        time.sleep(0.001)
    [child] = children.read_text().split()
    os.kill(int(child), signal.SIGKILL)
    with pytest.raises(MicrogateError, match="^checkov failed: it was stopped by signal 9$"):
        checkov_findings(app, scan)
    assert server_pid() == pid  # the server lives on
    assert found(app) == first


def test_a_scan_past_its_time_limit_stops_with_its_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scaffold.engines import iac

    app = write(tmp_path / "app", {"main.tf": BUDGET + OPEN_BUCKET})
    first = found(app)
    pid = server_pid()
    monkeypatch.setattr(iac, "CHECKOV_TIMEOUT_SECONDS", 0.001)
    with pytest.raises(MicrogateError, match="checkov gave no answer in"):
        found(app)
    assert not alive(pid)
    assert checkovserver._servers == {}
    monkeypatch.undo()
    monkeypatch.setenv("MICROGATE_NO_PARSE_CACHE", "1")
    assert found(app) == first


def test_a_second_scan_while_one_runs_gets_a_process_of_its_own(tmp_path: Path) -> None:
    checkov = find_tool("checkov")
    app = write(tmp_path / "app", {"main.tf": BUDGET + OPEN_BUCKET})
    first = start_checkov(app, checkov)
    second = start_checkov(app, checkov)
    assert isinstance(first, checkovserver.ForkedScan)
    assert not isinstance(second, checkovserver.ForkedScan)
    assert checkov_findings(app, second) == checkov_findings(app, first)
    third = start_checkov(app, checkov)  # the first one done, the server takes scans again
    assert isinstance(third, checkovserver.ForkedScan)
    assert checkov_findings(app, third) == checkov_findings(app, second)


def test_a_command_leaves_no_checkov_process_behind(make_app, tmp_path: Path) -> None:
    import uuid

    from testing.hostile import microgate

    app = make_app()
    write(app, {"infra/extra.tf": OPEN_BUCKET})
    mark = uuid.uuid4().hex
    result = microgate("check", "--all-files", "--only", "iac", cwd=app,
                       env={"MICROGATE_RUN_MARK": mark})
    assert result.returncode == 1 and "CKV_AWS_53" in result.output, result.output

    def marked() -> list[str]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and mark.encode() in (entry / "environ").read_bytes():
                    found.append(entry.name)
            except OSError:
                continue
        return found

    assert marked() == []
