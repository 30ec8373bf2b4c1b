"""A deliberately vulnerable FastAPI micro app, written for microgate's SAST tests.

Each flawed line ends with `# flaw: <rule>`; its safe twin ends with `# twin: <rule>`.
Every flaw must be reported with that rule, and no twin reported at all.
"""

import json
import marshal
import os
import subprocess

import anthropic
import asyncpg
import httpx
from fastapi import FastAPI, Request, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from markupsafe import escape

from .models import Order

api = FastAPI(debug=True)  # flaw: web-debug-mode
quiet = FastAPI()  # twin: web-debug-mode
origins = ["*"]
api.add_middleware(CORSMiddleware, allow_origins=origins)  # flaw: wildcard-cors
api.add_middleware(CORSMiddleware, allow_origins=["https://intranet.example.com"])  # twin: wildcard-cors
model = anthropic.Anthropic()
REPORTS = "/srv/reports"


@api.get("/orders/{order_id}")
async def order(order_id: str, connection: asyncpg.Connection) -> list:
    rows = await connection.fetch(f"SELECT * FROM orders WHERE id = '{order_id}'")  # flaw: sql-string-formatting
    safe = await connection.fetch("SELECT * FROM orders WHERE id = $1", order_id)  # twin: sql-string-formatting
    return [rows, safe]


@api.get("/report/{name}")
async def report(name: str) -> FileResponse:
    if name.startswith("q"):
        return FileResponse(REPORTS + "/" + name)  # flaw: path-traversal
    return FileResponse(os.path.join(REPORTS, os.path.basename(name)))  # twin: path-traversal


@api.post("/upload")
async def upload(document: UploadFile) -> str:
    data = marshal.loads(await document.read())  # flaw: pickle-untrusted
    parsed = json.loads(await document.read())  # twin: pickle-untrusted
    return str((data, parsed))


@api.get("/page", response_class=HTMLResponse)
async def page(title: str) -> HTMLResponse:
    if title == "raw":
        return HTMLResponse("<title>" + title + "</title>")  # flaw: xss-request-in-html
    return HTMLResponse("<title>" + str(escape(title)) + "</title>")  # twin: xss-request-in-html


@api.get("/proxy")
async def proxy(target: str) -> str:
    async with httpx.AsyncClient() as session:
        if target:
            return (await session.get(target)).text  # flaw: ssrf
        return (await session.get("https://api.example.com/health")).text  # twin: ssrf


@api.get("/go")
async def go(request: Request) -> RedirectResponse:
    destination = request.query_params["to"]
    if destination:
        return RedirectResponse(destination)  # flaw: open-redirect
    return RedirectResponse("/dashboard")  # twin: open-redirect


@api.post("/orders")
async def create_order(request: Request) -> str:
    payload = await request.json()
    created = Order(**payload)  # flaw: mass-assignment
    named = Order(item=payload["item"], quantity=int(payload["quantity"]))  # twin: mass-assignment
    return str((created, named))


@api.get("/summarise")
async def summarise(text: str) -> str:
    reply = model.messages.create(
        model="claude-sonnet-4-5", max_tokens=300,
        system="Summarise for " + text,  # flaw: prompt-injection
        messages=[{"role": "user", "content": text}])  # twin: prompt-injection
    code = reply.content[0].text
    if code:
        exec(code)  # flaw: llm-output-executed
    return code


def archive(folder: str) -> None:
    os.system("tar czf backup.tgz " + folder)  # flaw: subprocess-shell
    subprocess.run(["tar", "czf", "backup.tgz", folder], check=True)  # twin: subprocess-shell
