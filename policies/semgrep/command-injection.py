import os
import subprocess

from flask import Flask, request

app = Flask(__name__)
TOOLS = {"ping": "/usr/bin/ping", "dig": "/usr/bin/dig"}


@app.route("/run")
def run_tool() -> str:
    tool = request.args["tool"]
    host = request.args["host"]
    # ruleid: microgate.command-injection
    subprocess.run([tool, host], check=True)
    # ruleid: microgate.command-injection
    subprocess.run(["bash", "-c", "ping " + host], check=True)
    # ruleid: microgate.command-injection
    os.system("ping -c 1 " + host)
    # ok: microgate.command-injection
    subprocess.run(["ping", "-c", "1", host], check=True)
    # ok: microgate.command-injection
    subprocess.run([TOOLS[tool], host], check=True)
    return "done"


@app.route("/lookup/<name>")
def lookup(name: str) -> str:
    # ruleid: microgate.command-injection
    os.execlp("/bin/sh", "/bin/sh", "-c", name)
    return "never"


@app.route("/allowed")
def allowed() -> str:
    tool = request.args["tool"]
    if tool in TOOLS:
        # ok: microgate.command-injection
        subprocess.run([tool], check=True)
    return "done"
