"""A deliberately vulnerable Flask micro app, written for microgate's SAST tests.

Each flawed line ends with `# flaw: <rule>`; its safe twin ends with `# twin: <rule>`.
Every flaw must be reported with that rule, and no twin reported at all.
"""

import hashlib
import html
import json
import os
import pickle
import random
import secrets
import shlex
import sqlite3
import ssl
import subprocess
import tarfile
import urllib.parse
import xml.sax

import jwt
import ldap
import openai
import requests
import yaml
from flask import Flask, jsonify, make_response, redirect, request, send_file, url_for
from flask_cors import CORS
from lxml import etree
from markupsafe import Markup, escape
from werkzeug.utils import secure_filename

from .models import Account

app = Flask(__name__)
app.config["SECRET_KEY"] = "fixed-dev-key-1234"  # flaw: hardcoded-app-secret
app.config["JWT_SECRET_KEY"] = os.environ["JWT_SECRET_KEY"]  # twin: hardcoded-app-secret
CORS(app, origins="*")  # flaw: wildcard-cors
CORS(app, origins=["https://intranet.example.com"])  # twin: wildcard-cors
client = openai.OpenAI()
FILES = "/srv/files"
ALLOWED_HOSTS = {"api.example.com"}
TOOLS = {"ping": "/usr/bin/ping"}
db = sqlite3.connect("app.db")


@app.route("/users")
def users() -> object:
    name = request.args["name"]
    query = "SELECT * FROM users WHERE name = '" + name + "'"
    rows = db.execute(query).fetchall()  # flaw: sql-string-formatting
    safe = db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchall()  # twin: sql-string-formatting
    return jsonify(rows=rows, safe=safe)


@app.route("/ping")
def ping() -> str:
    host = request.args["host"]
    subprocess.run("ping -c 1 " + host, shell=True)  # flaw: command-injection
    subprocess.run(["ping", "-c", "1", host], check=True)  # twin: command-injection
    subprocess.run("ping -c 1 " + shlex.quote(host), shell=True)  # twin: subprocess-shell
    return "done"


@app.route("/calc")
def calc() -> str:
    expression = request.args["expr"]
    result = eval(expression)  # flaw: eval-exec
    number = int(expression)  # twin: eval-exec
    return str(result + number)


@app.route("/restore", methods=["POST"])
def restore() -> str:
    state = pickle.loads(request.data)  # flaw: pickle-untrusted
    config = yaml.load(request.data, Loader=yaml.Loader)  # flaw: yaml-unsafe-load
    plain = yaml.safe_load(request.data)  # twin: yaml-unsafe-load
    data = json.loads(request.data)  # twin: pickle-untrusted
    return str((state, config, plain, data))


@app.route("/file")
def file() -> object:
    name = request.args["name"]
    if name.endswith(".csv"):
        return send_file(os.path.join(FILES, name))  # flaw: path-traversal
    return send_file(os.path.join(FILES, secure_filename(name)))  # twin: path-traversal


@app.route("/hello")
def hello() -> str:
    name = request.args.get("name", "")
    if name:
        return "<h1>Hello " + name + "</h1>"  # flaw: xss-request-in-html
    return "<h1>Hello " + escape(request.args.get("who", "")) + "</h1>"  # twin: xss-request-in-html


@app.route("/note")
def note() -> str:
    text = request.args.get("text", "")
    marked = Markup("<i>%s</i>" % text)  # flaw: xss-request-in-html
    formatted = Markup("<i>{}</i>").format(text)  # twin: xss-unescaped-markup
    return str(marked) + html.escape(str(formatted))


@app.route("/fetch")
def fetch() -> str:
    url = request.args["url"]
    if urllib.parse.urlsplit(url).hostname in ALLOWED_HOSTS:
        return requests.get(url, timeout=5).text  # flaw: ssrf
    item = request.args["item"]
    return requests.get(f"https://api.example.com/items/{item}", timeout=5).text  # twin: ssrf


@app.route("/login")
def login() -> object:
    target = request.args.get("next", "/")
    if request.args.get("fast"):
        return redirect(target)  # flaw: open-redirect
    return redirect(url_for("index"))  # twin: open-redirect


@app.route("/register", methods=["POST"])
def register() -> str:
    password = request.form["password"]
    weak = hashlib.md5(password.encode()).hexdigest()
    account = Account(password=weak)  # flaw: weak-password-hash
    salt = os.urandom(16)
    strong = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
    other = Account(password=strong.hex())  # twin: weak-password-hash
    return str((account, other))


@app.route("/reset")
def reset() -> str:
    reset_token = str(random.randint(100000, 999999))  # flaw: insecure-random-secret
    session_token = secrets.token_urlsafe(32)  # twin: insecure-random-secret
    response = make_response(reset_token)
    response.set_cookie("session", session_token)  # flaw: insecure-cookie
    response.set_cookie("session", session_token, secure=True, httponly=True, samesite="Lax")  # twin: insecure-cookie
    return response


@app.route("/import", methods=["POST"])
def import_xml() -> str:
    unsafe = etree.XMLParser(resolve_entities=True)  # flaw: xxe
    safe = etree.XMLParser(resolve_entities=False, no_network=True)  # twin: xxe
    reader = xml.sax.make_parser()
    return str((etree.fromstring(request.data, unsafe), safe, reader))


@app.route("/directory")
def directory(connection: ldap.ldapobject.LDAPObject) -> str:
    uid = request.args["uid"]
    tree = etree.parse("people.xml")
    found = tree.xpath("//person[@uid='" + uid + "']")  # flaw: xpath-ldap-injection
    same = tree.xpath("//person[@uid = $uid]", uid=uid)  # twin: xpath-ldap-injection
    return str((found, same, connection))


@app.route("/accounts", methods=["POST"])
def accounts() -> str:
    created = Account(**request.json)  # flaw: mass-assignment
    named = Account(email=request.json["email"])  # twin: mass-assignment
    return str((created, named))


@app.route("/assistant")
def assistant() -> str:
    mood = request.args["mood"]
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": "Answer in a " + mood + " way."},  # flaw: prompt-injection
        {"role": "user", "content": request.args["question"]},  # twin: prompt-injection
    ])
    answer = reply.choices[0].message.content or ""
    if answer.startswith("!"):
        subprocess.run(answer.removeprefix("!"), shell=True)  # flaw: llm-output-executed
    if answer in TOOLS:
        subprocess.run([TOOLS[answer]], check=True)  # twin: llm-output-executed
    return answer


def token_for(user_id: str) -> str:
    signed = jwt.encode({"sub": user_id}, "jwt-words-in-code", algorithm="HS256")  # flaw: hardcoded-app-secret
    return signed


def fetch_status(url: str) -> int:
    first = requests.get(url, timeout=None).status_code  # flaw: requests-no-timeout
    second = requests.get(url, timeout=10).status_code  # twin: requests-no-timeout
    context = ssl._create_unverified_context()  # flaw: tls-verify-disabled
    strict = ssl.create_default_context()  # twin: tls-verify-disabled
    return first + second + len(str((context, strict)))


def unpack(archive: str) -> None:
    with tarfile.open(archive) as bundle:
        bundle.extractall(FILES)  # flaw: archive-extract-traversal
    with tarfile.open(archive) as bundle:
        bundle.extractall(FILES, filter="data")  # twin: archive-extract-traversal


if __name__ == "__main__":
    app.run(debug=True)  # flaw: web-debug-mode
    app.run(host="0.0.0.0")  # flaw: bind-all-interfaces
    app.run(host="127.0.0.1")  # twin: bind-all-interfaces
