from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from flask import Flask
from flask_cors import CORS

app = Flask(__name__)
# ruleid: microgate.wildcard-cors
CORS(app)
# ruleid: microgate.wildcard-cors
CORS(app, origins="*")
# ok: microgate.wildcard-cors
CORS(app, origins=["https://intranet.example.com"])

api = FastAPI()
# ruleid: microgate.wildcard-cors
api.add_middleware(CORSMiddleware, allow_origins=["*"])
# ok: microgate.wildcard-cors
api.add_middleware(CORSMiddleware, allow_origins=["https://intranet.example.com"])

origins = ["*"]
# ruleid: microgate.wildcard-cors
api.add_middleware(CORSMiddleware, allow_origins=origins)


def handler(response):
    # ruleid: microgate.wildcard-cors
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
