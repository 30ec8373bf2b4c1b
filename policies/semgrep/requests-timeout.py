import requests


def fetch(url: str) -> dict:
    # ruleid: microgate.requests-no-timeout
    response = requests.get(url)
    # ruleid: microgate.requests-no-timeout
    requests.post(url, json={"a": 1})
    # ok: microgate.requests-no-timeout
    requests.get(url, timeout=10)
    # ok: microgate.requests-no-timeout
    requests.request("GET", url, timeout=(3, 10))
    return response.json()
