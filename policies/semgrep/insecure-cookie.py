from flask import Flask, make_response

app = Flask(__name__)
# ruleid: microgate.insecure-cookie
app.config["SESSION_COOKIE_SECURE"] = False


@app.route("/remember")
def remember() -> object:
    response = make_response("ok")
    # ruleid: microgate.insecure-cookie
    response.set_cookie("user", "alice")
    # ruleid: microgate.insecure-cookie
    response.set_cookie("theme", "dark", httponly=True)
    # ok: microgate.insecure-cookie
    response.set_cookie("user", "alice", secure=True, httponly=True, samesite="Lax")
    # ok: microgate.insecure-cookie
    response.delete_cookie("old")
    return response
