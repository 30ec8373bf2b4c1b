import httpx
import requests


def fetch(url: str) -> dict:
    # ruleid: microgate.requests-no-timeout
    response = requests.get(url)
    # ruleid: microgate.requests-no-timeout
    requests.post(url, json={"a": 1})
    # ruleid: microgate.requests-no-timeout
    requests.get(url, timeout=None)
    # ruleid: microgate.requests-no-timeout
    httpx.get(url, timeout=None)
    session = requests.Session()
    # ruleid: microgate.requests-no-timeout
    session.get(url)
    # ok: microgate.requests-no-timeout
    requests.get(url, timeout=10)
    # ok: microgate.requests-no-timeout
    requests.request("GET", url, timeout=(3, 10))
    # ok: microgate.requests-no-timeout
    httpx.get(url)
    return response.json()
