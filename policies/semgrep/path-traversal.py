import os
import tarfile
import zipfile

from flask import Flask, request, send_file, send_from_directory
from werkzeug.utils import secure_filename

app = Flask(__name__)
UPLOADS = "/srv/uploads"


@app.route("/download")
def download() -> object:
    name = request.args["file"]
    # ruleid: microgate.path-traversal
    return send_file(os.path.join(UPLOADS, name))


@app.route("/read/<name>")
def read(name: str) -> str:
    # ruleid: microgate.path-traversal
    with open(UPLOADS + "/" + name) as handle:
        return handle.read()


@app.route("/upload", methods=["POST"])
def upload() -> str:
    upload = request.files["document"]
    # ruleid: microgate.path-traversal
    upload.save(os.path.join(UPLOADS, upload.filename))
    return "saved"


@app.route("/download-safe")
def download_safe() -> object:
    name = request.args["file"]
    # ok: microgate.path-traversal
    return send_file(os.path.join(UPLOADS, os.path.basename(name)))


@app.route("/upload-safe", methods=["POST"])
def upload_safe() -> str:
    upload = request.files["document"]
    # ok: microgate.path-traversal
    upload.save(os.path.join(UPLOADS, secure_filename(upload.filename)))
    return "saved"


@app.route("/static-file")
def static_file() -> object:
    # ok: microgate.path-traversal
    return send_from_directory(UPLOADS, request.args["file"])


def unpack(archive: str, target: str) -> None:
    with tarfile.open(archive) as tar:
        # ruleid: microgate.archive-extract-traversal
        tar.extractall(target)


def unpack_safely(archive: str, target: str) -> None:
    with tarfile.open(archive) as tar:
        # ok: microgate.archive-extract-traversal
        tar.extractall(target, filter="data")
    with zipfile.ZipFile(archive) as bundle:
        # ok: microgate.archive-extract-traversal
        bundle.extractall(target)
