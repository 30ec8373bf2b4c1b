import os
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


def archive_safely(folder: str) -> None:
    # ok: microgate.subprocess-shell
    subprocess.run(["tar", "czf", "out.tgz", folder], check=True)
    # ok: microgate.subprocess-shell
    subprocess.run(["ls", folder], shell=False)
