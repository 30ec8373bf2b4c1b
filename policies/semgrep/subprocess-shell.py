import os
import shlex
import subprocess


def archive(folder: str) -> None:
    # ruleid: microgate.subprocess-shell
    subprocess.run("tar czf out.tgz " + folder, shell=True)
    # ruleid: microgate.subprocess-shell
    subprocess.check_output(f"ls {folder}", shell=True)
    # ruleid: microgate.subprocess-shell
    os.system("rm -rf " + folder)
    # ruleid: microgate.subprocess-shell
    os.popen("cat " + folder)
    # ruleid: microgate.subprocess-shell
    getattr(os, "system")("du -sh " + folder)
    # ruleid: microgate.subprocess-shell
    subprocess.call(["sh", "-c", "grep -R {} .".format(folder)], shell=True)


def archive_safely(folder: str) -> None:
    # ok: microgate.subprocess-shell
    subprocess.run(["tar", "czf", "out.tgz", folder], check=True)
    # ok: microgate.subprocess-shell
    subprocess.run(["ls", folder], shell=False)
    # ok: microgate.subprocess-shell
    os.system("ls -al")
    # ok: microgate.subprocess-shell
    subprocess.run("du -sh " + shlex.quote(folder), shell=True)
