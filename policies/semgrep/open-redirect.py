from urllib.parse import urlsplit

from flask import Flask, redirect, request, url_for

app = Flask(__name__)


@app.route("/login")
def login() -> object:
    target = request.args.get("next", "/")
    # ruleid: microgate.open-redirect
    return redirect(target)


@app.route("/go/<path:where>")
def go(where: str) -> object:
    # ruleid: microgate.open-redirect
    return redirect(where)


@app.route("/home")
def home() -> object:
    # ok: microgate.open-redirect
    return redirect(url_for("index"))


@app.route("/checked")
def checked() -> object:
    target = request.args.get("next", "/")
    if urlsplit(target).netloc:
        target = url_for("index")
    # ok: microgate.open-redirect
    return redirect(target)


@app.route("/page/<int:number>")
def page(number: int) -> object:
    # ok: microgate.open-redirect
    return redirect("/pages/" + str(number))
