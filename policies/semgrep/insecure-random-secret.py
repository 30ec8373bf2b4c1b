import random
import secrets
import string


def new_reset_code() -> str:
    # ruleid: microgate.insecure-random-secret
    reset_code = "".join(random.choice(string.digits) for _ in range(6))
    return reset_code


def make_api_token() -> str:
    # ruleid: microgate.insecure-random-secret
    return "%032x" % random.getrandbits(128)


def new_session(store: dict) -> None:
    # ruleid: microgate.insecure-random-secret
    store["session_id"] = str(random.randint(0, 10**12))


def new_reset_code_safely() -> str:
    # ok: microgate.insecure-random-secret
    reset_code = "".join(secrets.choice(string.digits) for _ in range(6))
    return reset_code


def pick_colour() -> str:
    # ok: microgate.insecure-random-secret
    colour = random.choice(["red", "green", "blue"])
    return colour
