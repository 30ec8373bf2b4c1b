import os
import socket

import uvicorn
from fastapi import FastAPI
from flask import Flask

app = Flask(__name__)
# ruleid: microgate.web-debug-mode
api = FastAPI(debug=True)
# ok: microgate.web-debug-mode
quiet_api = FastAPI()
# ruleid: microgate.web-debug-mode
app.config["DEBUG"] = True


def main() -> None:
    # ruleid: microgate.web-debug-mode
    app.run(debug=True)
    # ruleid: microgate.bind-all-interfaces
    app.run(host="0.0.0.0", port=8000)
    # ruleid: microgate.bind-all-interfaces
    uvicorn.run(api, host="0.0.0.0")
    sock = socket.socket()
    # ruleid: microgate.bind-all-interfaces
    sock.bind(("0.0.0.0", 9000))
    # ruleid: microgate.bind-all-interfaces
    sock.bind(("", int(os.environ.get("PORT", "9000"))))
    # ok: microgate.bind-all-interfaces
    app.run(host="127.0.0.1")
    # ok: microgate.web-debug-mode
    app.run(port=8000)
