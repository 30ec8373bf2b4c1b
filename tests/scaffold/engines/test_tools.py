"""Tools in environments of their own: installed once, under a lock, whole or not at all.

The tool is a real wheel made here (a console script), installed by the real pip from a
local file, so the tests need no package index (one points pip at a local one that takes
the connection and never answers, to interrupt an install).
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from testing.util import MICROGATE, REPO_ROOT, interrupted_while_waiting_on_the_index


def _wheel(folder: Path) -> Path:
    """mgprobe 1.0: one module and a console script that prints 'probe'."""
    files = {
        "mgprobe.py": "def main():\n    print('probe')\n",
        "mgprobe-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: mgprobe\nVersion: 1.0\n",
        "mgprobe-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\n"
                                       "Root-Is-Purelib: true\nTag: py3-none-any\n",
        "mgprobe-1.0.dist-info/entry_points.txt": "[console_scripts]\nmgprobe = mgprobe:main\n",
    }
    path = folder / "mgprobe-1.0-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            data = text.encode()
            wheel.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            records.append(f"{name},sha256={digest.decode()},{len(data)}")
        records.append("mgprobe-1.0.dist-info/RECORD,,")
        wheel.writestr("mgprobe-1.0.dist-info/RECORD", "\n".join(records) + "\n")
    return path


def _find(requirement: str, tools: Path, wheels: Path) -> subprocess.Popen[str]:
    code = ("import sys; from scaffold.engines import tools; "
            f"tools.PINNED['mgprobe'] = {requirement!r}; "
            "print(tools.find_tool('mgprobe'))")
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"MICROGATE_TOOLS_DIR": str(tools), "PATH": "/usr/bin:/bin",
                                 "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
                                 "HOME": str(tools)})


def test_two_first_runs_install_the_tool_once_and_both_get_it(tmp_path: Path) -> None:
    _wheel(tmp_path)
    tools = tmp_path / "tools"
    runs = [_find("mgprobe==1.0", tools, tmp_path) for _ in range(2)]
    outcomes = [run.communicate(timeout=300) + (run.returncode,) for run in runs]
    assert [code for _, _, code in outcomes] == [0, 0], outcomes
    paths = {out.strip() for out, _, _ in outcomes}
    assert len(paths) == 1
    executable = Path(paths.pop())
    assert subprocess.run([str(executable)], capture_output=True, text=True,
                          check=True).stdout == "probe\n"
    assert sum("installing" in err for _, err, _ in outcomes) == 1
    assert (executable.parent.parent / ".installed").is_file()
    # installed by microgate's own pip: the tool's environment holds no installer
    assert not list(executable.parent.parent.glob("lib/python*/site-packages/pip"))


def test_a_failed_install_says_what_pip_said_and_leaves_nothing(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    run = _find("mgprobe==9.9", tools, tmp_path)
    _, err = run.communicate(timeout=300)
    assert run.returncode != 0
    assert "could not install" in err and "ERROR" in err
    assert not [p for p in tools.iterdir() if not p.name.startswith(".")]



def test_ctrl_c_during_an_install_stops_all_of_it_and_leaves_nothing(
        make_app: Any, tmp_path: Path) -> None:
    """pip installs the tool from a second process (`pip --python`): Ctrl-C while it
    waits on the index stops both, and no half-made environment stays."""
    tools = tmp_path / "tools"
    run, left = interrupted_while_waiting_on_the_index(
        [*MICROGATE, "check", "--all-files", "--only", "iac"], make_app(),
        {"MICROGATE_TOOLS_DIR": str(tools)}, watch=tools)
    assert run.returncode == 130, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("microgate: cancelled")
    assert left == []
    assert not [p for p in tools.iterdir() if not p.name.startswith(".")]
