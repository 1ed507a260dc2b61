"""Shared helpers of the independent-client tests: the sandbox's address (DISKBRIDGE_SANDBOX_URL,
set by sandbox/tests/clients.rs or run-caldav.sh), its listeners, and per-employee tokens obtained
the way a Yandex 360 administrator gets them: the owner signs in (device flow), activates service
applications, registers the service application with the mail and calendar scopes, and
exchanges a token for each employee (docs/protocols.md §1.6, §5)."""

import base64
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

ORG_ID = 7654321
CLIENT = ("sandbox-yandex-client", "sandbox-yandex-secret")
SERVICE = ("sandbox-yandex-service-app", "sandbox-yandex-service-secret")
IVAN = "ivan.petrov@sandbox-org.ru"
MARIA = "maria.ivanova@sandbox-org.ru"
OWNER = "owner@sandbox-org.ru"
ALL_SCOPES = [
    "mail:imap_ro",
    "mail:imap_full",
    "mail:smtp",
    "calendar:all",
    "telemost-api:conferences.create",
    "telemost-api:conferences.read",
    "telemost-api:conferences.update",
]


def ca_file():
    """The sandbox's CA file when it serves TLS (DISKBRIDGE_SANDBOX_CA_FILE), else None."""
    return os.environ.get("DISKBRIDGE_SANDBOX_CA_FILE") or None


def tls_context():
    """An SSL context that trusts the sandbox's CA and nothing else."""
    return ssl.create_default_context(cafile=ca_file())


def base_url():
    url = os.environ.get("DISKBRIDGE_SANDBOX_URL")
    if not url:
        raise RuntimeError("DISKBRIDGE_SANDBOX_URL is not set: run these tests through cargo test or run-caldav.sh")
    return url.rstrip("/")


def request(method, path, form=None, body=None, headers=None, url=None):
    """(status, headers, bytes) of a request to the sandbox (or to `url`)."""
    data = None
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    target = url or base_url() + urllib.parse.quote(path, safe="/?&=%:@,;+")
    req = urllib.request.Request(target, data=data, headers=headers, method=method)
    try:
        context = tls_context() if ca_file() else None
        with urllib.request.urlopen(req, timeout=30, context=context) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def call(method, path, **kwargs):
    status, _, data = request(method, path, **kwargs)
    return status, (json.loads(data) if data else None)


def control(method, path, body=None):
    status, data = call(method, "/_sandbox" + path, body=body)
    assert status == 200, (path, status, data)
    return data


def listeners():
    return control("GET", "/listeners")


def host_port(address):
    host, port = address.rsplit(":", 1)
    return host, int(port)


def owner_token():
    """The owner's token from the device flow, with every right of the sandbox's client."""
    _, code = call("POST", "/yandex-oauth/device/code", form={"client_id": CLIENT[0]})
    status, _, _ = request("POST", "/yandex-oauth/device", form={"user_code": code["user_code"]})
    assert status == 200
    _, token = call(
        "POST",
        "/yandex-oauth/token",
        form={"grant_type": "device_code", "code": code["device_code"], "client_id": CLIENT[0], "client_secret": CLIENT[1]},
    )
    return token["access_token"]


def register_service_app(scopes=ALL_SCOPES):
    owner = owner_token()
    auth = {"Authorization": "OAuth " + owner}
    apps = "/yandex-360/security/v1/org/%d/service_applications" % ORG_ID
    assert call("POST", apps + "/activate", body={}, headers=auth)[0] == 200
    status, answer = call("POST", apps, body={"applications": [{"id": SERVICE[0], "scopes": scopes}]}, headers=auth)
    assert status == 200, answer


def employee_token(email, scope=None):
    """A one-hour token for an employee, by the token exchange (narrowed to `scope` if given)."""
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_id": SERVICE[0],
        "client_secret": SERVICE[1],
        "subject_token": email,
        "subject_token_type": "urn:yandex:params:oauth:token-type:email",
    }
    if scope:
        form["scope"] = scope
    status, answer = call("POST", "/yandex-oauth/token", form=form)
    assert status == 200, answer
    return answer["access_token"]


def xoauth2(email, token):
    """The XOAUTH2 initial response, unencoded (imaplib and smtplib base64 it themselves)."""
    return "user=%s\x01auth=Bearer %s\x01\x01" % (email, token)


def xoauth2_b64(email, token):
    return base64.b64encode(xoauth2(email, token).encode()).decode()
