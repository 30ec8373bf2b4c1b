import urllib.parse
import urllib.request

import httpx
import requests
from flask import Flask, request

app = Flask(__name__)
ALLOWED_HOSTS = {"api.example.com"}


@app.route("/preview")
def preview() -> str:
    url = request.args["url"]
    # ruleid: microgate.ssrf
    return requests.get(url, timeout=5).text


@app.route("/proxy/<host>")
def proxy(host: str) -> str:
    # ruleid: microgate.ssrf
    return httpx.get("https://" + host + "/status").text


@app.route("/open")
def open_url() -> bytes:
    # ruleid: microgate.ssrf
    return urllib.request.urlopen(request.args["url"], timeout=5).read()


@app.route("/link")
def link() -> str:
    # ruleid: microgate.ssrf
    return "<a href='https://{}/path'>go</a>".format(request.args["host"])


@app.route("/item/<item_id>")
def item(item_id: str) -> str:
    # ok: microgate.ssrf
    return requests.get(f"https://api.example.com/items/{item_id}", timeout=5).text


@app.route("/checked")
def checked() -> str:
    url = request.args["url"]
    host = urllib.parse.urlsplit(url).hostname
    if host in ALLOWED_HOSTS:
        # ok: microgate.ssrf
        return requests.get(host, timeout=5).text
    return "not allowed"
