import httpx
import requests


def fetch(url: str, session: requests.Session) -> None:
    # ruleid: microgate.tls-verify-disabled
    requests.get(url, verify=False, timeout=5)
    # ruleid: microgate.tls-verify-disabled
    httpx.Client(verify=False)
    # ruleid: microgate.tls-verify-disabled
    session.verify = False
    # ok: microgate.tls-verify-disabled
    requests.get(url, timeout=5)
    # ok: microgate.tls-verify-disabled
    requests.get(url, verify="/etc/ssl/company-ca.pem", timeout=5)
