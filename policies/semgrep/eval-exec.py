import ast


def calculate(expression: str) -> object:
    # ruleid: microgate.eval-exec
    return eval(expression)


def run_snippet(request) -> None:
    # ruleid: microgate.eval-exec
    exec(request.args["code"])


def constant() -> object:
    # ok: microgate.eval-exec
    return eval("1 + 1")


def safe(expression: str) -> object:
    # ok: microgate.eval-exec
    return ast.literal_eval(expression)
