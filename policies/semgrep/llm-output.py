import json
import subprocess

import anthropic
import openai
from flask import Flask, request

app = Flask(__name__)
client = openai.OpenAI()
ACTIONS = {"list": ["ls"], "disk": ["df", "-h"]}


def run_generated(task: str) -> object:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "user", "content": task}])
    code = reply.choices[0].message.content
    # ruleid: microgate.llm-output-executed
    return eval(code)


def shell_from_model(question: str) -> None:
    answer = anthropic.Anthropic().messages.create(
        model="claude-sonnet-4-5", max_tokens=200,
        messages=[{"role": "user", "content": question}])
    # ruleid: microgate.llm-output-executed
    subprocess.run(answer.content[0].text, shell=True)


def sql_from_model(cursor, question: str) -> list:
    reply = client.responses.create(model="gpt-4o-mini", input=question)
    # ruleid: microgate.llm-output-executed
    cursor.execute(reply.output_text)
    return cursor.fetchall()


def action_from_model(question: str) -> None:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "user", "content": question}])
    choice = json.loads(reply.choices[0].message.content)["action"]
    if choice in ACTIONS:
        # ok: microgate.llm-output-executed
        subprocess.run(ACTIONS[choice], check=True)


@app.route("/ask")
def ask() -> str:
    tone = request.args["tone"]
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[
        # ruleid: microgate.prompt-injection
        {"role": "system", "content": "You answer in a " + tone + " tone."},
        # ok: microgate.prompt-injection
        {"role": "user", "content": request.args["question"]},
    ])
    return reply.choices[0].message.content or ""
