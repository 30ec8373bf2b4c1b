import os

import jwt
from flask import Flask

app = Flask(__name__)
# ruleid: microgate.hardcoded-app-secret
app.config["SECRET_KEY"] = "dev-key-that-shipped"
# ruleid: microgate.hardcoded-app-secret
app.secret_key = "another-fixed-key"
# ok: microgate.hardcoded-app-secret
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]


def issue_token(user_id: str) -> str:
    # ruleid: microgate.hardcoded-app-secret
    return jwt.encode({"sub": user_id}, "jwt-signing-words", algorithm="HS256")


def issue_token_safely(user_id: str) -> str:
    # ok: microgate.hardcoded-app-secret
    return jwt.encode({"sub": user_id}, os.environ["JWT_SECRET"], algorithm="HS256")
