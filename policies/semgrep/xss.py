import html

import jinja2
from flask import Flask, jsonify, make_response, render_template, render_template_string, request
from markupsafe import Markup, escape

app = Flask(__name__)


@app.route("/hello")
def hello() -> str:
    name = request.args.get("name", "")
    # ruleid: microgate.xss-request-in-html
    return "<h1>Hello " + name + "</h1>"


@app.route("/greet")
def greet() -> object:
    name = request.args.get("name", "")
    # ruleid: microgate.xss-request-in-html
    return make_response(f"<p>{name}</p>")


@app.route("/template")
def template() -> str:
    # ruleid: microgate.xss-request-in-html, microgate.xss-unescaped-markup
    return render_template_string(request.args["page"])


@app.route("/markup")
def markup() -> str:
    # ruleid: microgate.xss-request-in-html, microgate.xss-unescaped-markup
    return render_template("page.html", note=Markup(request.args["note"]))


@app.route("/hello-safe")
def hello_safe() -> str:
    name = request.args.get("name", "")
    # ok: microgate.xss-request-in-html
    return "<h1>Hello " + escape(name) + "</h1>"


@app.route("/greet-safe")
def greet_safe() -> str:
    # ok: microgate.xss-request-in-html
    return render_template("greet.html", name=request.args.get("name", ""))


@app.route("/api")
def api() -> object:
    # ok: microgate.xss-request-in-html
    return jsonify(name=request.args.get("name", ""))


@app.route("/escaped")
def escaped() -> str:
    # ok: microgate.xss-request-in-html
    return "<p>" + html.escape(request.args["q"]) + "</p>"


def banner(text: str) -> Markup:
    # ruleid: microgate.xss-unescaped-markup
    return Markup("<b>%s</b>" % text)


def banner_safely(text: str) -> Markup:
    # ok: microgate.xss-unescaped-markup
    return Markup("<b>{}</b>").format(text)


def fixed_banner() -> Markup:
    # ok: microgate.xss-unescaped-markup
    return Markup("<b>Welcome</b>")


# ruleid: microgate.jinja-autoescape-off
plain = jinja2.Environment(loader=jinja2.FileSystemLoader("templates"))
# ruleid: microgate.jinja-autoescape-off
unsafe = jinja2.Environment(autoescape=False)
# ok: microgate.jinja-autoescape-off
safe = jinja2.Environment(autoescape=jinja2.select_autoescape())
