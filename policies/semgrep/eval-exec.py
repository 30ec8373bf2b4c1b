import ast
import asyncio
from textwrap import dedent


def calculate(expression: str) -> object:
    # ruleid: microgate.eval-exec
    return eval(expression)


def run_snippet(request) -> None:
    # ruleid: microgate.eval-exec
    exec(request.args["code"])


async def run_later(code: str) -> None:
    loop = asyncio.get_running_loop()
    # ruleid: microgate.eval-exec
    await loop.run_in_executor(None, exec, code)


def constant() -> object:
    # ok: microgate.eval-exec
    return eval("1 + 1")


def constant_block() -> None:
    block = """
    print('hello')
    """
    # ok: microgate.eval-exec
    exec(dedent(block))


def safe(expression: str) -> object:
    # ok: microgate.eval-exec
    return ast.literal_eval(expression)
