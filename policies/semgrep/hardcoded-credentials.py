import os

# ruleid: microgate.hardcoded-credentials
DB_PASSWORD = "hunter2-prod"
# ruleid: microgate.hardcoded-credentials
api_key = "c2VjcmV0LXRva2VuLXZhbHVl"


def connect(client) -> None:
    # ruleid: microgate.hardcoded-credentials
    client.connect(host="db", password="s3cr3t-pass")
    # ruleid: microgate.hardcoded-credentials
    settings = {"auth_token": "abcd1234efgh"}
    # ok: microgate.hardcoded-credentials
    client.connect(host="db", password=os.environ["DB_PASSWORD"])
    print(settings)


# ok: microgate.hardcoded-credentials
PASSWORD_FIELD = "password"
# ok: microgate.hardcoded-credentials
TOKEN = ""
# ok: microgate.hardcoded-credentials
secret = "changeme"
# ok: microgate.hardcoded-credentials
api_key = os.environ.get("API_KEY", "")
