import ssl
import urllib.request

import httpx
import requests
import urllib3


def fetch(url: str, session: requests.Session) -> None:
    # ruleid: microgate.tls-verify-disabled
    requests.get(url, verify=False, timeout=5)
    # ruleid: microgate.tls-verify-disabled
    httpx.Client(verify=False)
    # ruleid: microgate.tls-verify-disabled
    session.verify = False
    # ruleid: microgate.tls-verify-disabled
    context = ssl._create_unverified_context()
    urllib.request.urlopen(url, context=context)
    # ruleid: microgate.tls-verify-disabled
    urllib3.PoolManager(cert_reqs=ssl.CERT_NONE)
    strict = ssl.create_default_context()
    # ruleid: microgate.tls-verify-disabled
    strict.check_hostname = False
    # ok: microgate.tls-verify-disabled
    requests.get(url, timeout=5)
    # ok: microgate.tls-verify-disabled
    requests.get(url, verify="/etc/ssl/company-ca.pem", timeout=5)
    # ok: microgate.tls-verify-disabled
    urllib3.PoolManager(cert_reqs="CERT_REQUIRED")
