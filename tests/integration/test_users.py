"""Users against the real server: no default password (a one-time setup token), bcrypt passwords, TOTP
(cross-checked with oathtool), browser sessions with CSRF protection, scoped API tokens."""
import base64
import json
import os
import select
import sqlite3
import subprocess
import time

from conftest import unique
from helpers import V5, Client
import httpclient
from test_identity import SECURE, api, audit_actions, cli

PASSWORD = "the first admin's long passphrase"


def setup_token(server):
    """Reads the setup lines the server prints after its listener lines."""
    buffer = server.output
    deadline = time.time() + 10
    while b"setup?token=" not in buffer or not buffer.endswith(b"\n"):
        ready, _, _ = select.select([server.process.stdout], [], [], max(0.1, deadline - time.time()))
        assert time.time() < deadline, "no setup token printed: %r" % buffer
        if ready:
            buffer += os.read(server.process.stdout.fileno(), 4096)
    line = [l for l in buffer.decode().splitlines() if "setup?token=" in l][0]
    return line.split("setup?token=")[1].strip()


def totp(secret):
    return subprocess.run(["oathtool", "--totp", "-b", secret], capture_output=True, text=True, check=True).stdout.strip()


def login(server, name, password, code=None):
    body = {"name": name, "password": password}
    if code:
        body["totp"] = code
    return httpclient.request(server.http_port, "POST", "/api/v1/login", json_body=body)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def enrol_totp(server, name, password):
    session = login(server, name, password).json()
    begun = httpclient.request(server.http_port, "POST", "/api/v1/me/totp", headers=bearer(session["token"]))
    assert begun.status == 200, begun
    secret = begun.json()["secret"]
    assert begun.json()["otpauth_url"].startswith("otpauth://totp/")
    confirmed = httpclient.request(server.http_port, "POST", "/api/v1/me/totp/confirm", json_body={"code": totp(secret)},
                                   headers=bearer(session["token"]))
    assert confirmed.status == 200, confirmed
    return secret


def test_first_admin_comes_from_a_one_time_setup_token(server_factory):
    server = server_factory(expect=SECURE)
    token = setup_token(server)
    wrong = httpclient.request(server.http_port, "POST", "/api/v1/setup",
                               json_body={"token": "x" * 32, "name": "admin", "password": PASSWORD})
    assert wrong.status == 403
    weak = httpclient.request(server.http_port, "POST", "/api/v1/setup",
                              json_body={"token": token, "name": "admin", "password": "admin"})
    assert weak.status == 422 and b"at least 12" in weak.body
    created = httpclient.request(server.http_port, "POST", "/api/v1/setup",
                                 json_body={"token": token, "name": "admin", "password": PASSWORD})
    assert created.status == 201 and created.json()["role"] == "admin"
    again = httpclient.request(server.http_port, "POST", "/api/v1/setup",
                               json_body={"token": token, "name": "admin2", "password": PASSWORD})
    assert again.status == 403
    # The password is stored as a bcrypt hash only.
    with sqlite3.connect(os.path.join(server.data_dir, "twinguard.sqlite")) as db:
        record = json.loads(db.execute("SELECT record FROM users WHERE name = 'admin'").fetchone()[0])
    assert record["passwordHash"].startswith("$2") and PASSWORD not in json.dumps(record)
    # A restart with a user present prints no setup token.
    server.restart()
    time.sleep(0.5)
    ready, _, _ = select.select([server.process.stdout], [], [], 0.5)
    later = os.read(server.process.stdout.fileno(), 4096) if ready else b""
    assert b"setup?token=" not in server.output + later


def test_admin_must_enrol_totp_and_then_present_it(server_factory):
    server = server_factory(expect=SECURE)
    token = setup_token(server)
    assert httpclient.request(server.http_port, "POST", "/api/v1/setup",
                              json_body={"token": token, "name": "root", "password": PASSWORD}).status == 201
    first = login(server, "root", PASSWORD)
    assert first.status == 200 and first.json()["mfa_pending"] is True
    cookies = first.headers.get_all("Set-Cookie")
    session_cookie = [c for c in cookies if c.startswith("tg_session=")][0]
    assert "HttpOnly" in session_cookie and "Secure" in session_cookie and "SameSite=Strict" in session_cookie
    # Until a second factor is enrolled, nothing but enrolment is open.
    blocked = httpclient.request(server.http_port, "GET", "/api/v1/twins", headers=bearer(first.json()["token"]))
    assert blocked.status == 403 and b"second factor" in blocked.body
    session = first.json()["token"]
    begun = httpclient.request(server.http_port, "POST", "/api/v1/me/totp", headers=bearer(session)).json()
    wrong = httpclient.request(server.http_port, "POST", "/api/v1/me/totp/confirm", json_body={"code": "000000"},
                               headers=bearer(session))
    assert wrong.status == 422
    assert httpclient.request(server.http_port, "POST", "/api/v1/me/totp/confirm", json_body={"code": totp(begun["secret"])},
                              headers=bearer(session)).status == 200
    no_code = login(server, "root", PASSWORD)
    assert no_code.status == 401 and b"one-time code" in no_code.body
    bad_code = login(server, "root", PASSWORD, code="123456" if totp(begun["secret"]) != "123456" else "654321")
    assert bad_code.status == 401 and b"code is wrong" in bad_code.body
    good = login(server, "root", PASSWORD, code=totp(begun["secret"]))
    assert good.status == 200 and good.json()["mfa_pending"] is False
    assert httpclient.request(server.http_port, "GET", "/api/v1/twins", headers=bearer(good.json()["token"])).status == 200
    # HTTP Basic needs the code too.
    assert api(server, "GET", "/api/v1/twins", auth=("root", PASSWORD)).status == 401
    basic = "Basic " + base64.b64encode(("root:" + PASSWORD).encode()).decode()
    with_code = httpclient.request(server.http_port, "GET", "/api/v1/twins",
                                   headers={"Authorization": basic, "X-TwinGuard-OTP": totp(begun["secret"])})
    assert with_code.status == 200, with_code
    actions = {(e["action"], e["outcome"]) for e in audit_actions(server)}
    assert {("user.login", "success"), ("user.login", "failure"), ("user.mfa.enroll", "success"),
            ("user.mfa.enroll", "failure")} <= actions


def test_cookie_sessions_need_the_csrf_token_for_changes(server_factory):
    server = server_factory(expect=SECURE)
    assert cli("user", "add", "eve", "--role", "engineer", "--password-stdin", "--data-dir", server.data_dir,
               stdin=PASSWORD + "\n").returncode == 0
    answer = login(server, "eve", PASSWORD).json()
    cookie = {"Cookie": "tg_session=" + answer["token"]}
    assert httpclient.request(server.http_port, "GET", "/api/v1/twins", headers=cookie).status == 200
    forged = httpclient.request(server.http_port, "POST", "/api/v1/twins", json_body={"id": unique("x")}, headers=cookie)
    assert forged.status == 401 and b"CSRF" in forged.body
    wrong = httpclient.request(server.http_port, "POST", "/api/v1/twins", json_body={"id": unique("x")},
                               headers=dict(cookie, **{"X-CSRF-Token": "nope"}))
    assert wrong.status == 401
    right = httpclient.request(server.http_port, "POST", "/api/v1/twins", json_body={"id": unique("x")},
                               headers=dict(cookie, **{"X-CSRF-Token": answer["csrf"]}))
    assert right.status == 201, right
    out = httpclient.request(server.http_port, "POST", "/api/v1/logout", headers=dict(cookie, **{"X-CSRF-Token": answer["csrf"]}))
    assert out.status == 204
    assert httpclient.request(server.http_port, "GET", "/api/v1/twins", headers=cookie).status == 401


def test_api_tokens_are_scoped_expiring_hashed_and_revocable(server_factory):
    server = server_factory(expect=SECURE)
    assert cli("user", "add", "ops", "--role", "operator", "--password-stdin", "--data-dir", server.data_dir,
               stdin=PASSWORD + "\n").returncode == 0
    too_high = api(server, "POST", "/api/v1/tokens", {"name": "x", "role": "admin"}, auth=("ops", PASSWORD))
    assert too_high.status == 403 and b"more rights than its owner" in too_high.body
    made = api(server, "POST", "/api/v1/tokens", {"name": "grafana", "role": "viewer", "ttl": "1h"}, auth=("ops", PASSWORD))
    assert made.status == 201, made
    token = made.json()["token"]
    assert httpclient.request(server.http_port, "GET", "/api/v1/twins", headers=bearer(token)).status == 200
    assert httpclient.request(server.http_port, "POST", "/api/v1/twins", json_body={"id": unique("x")},
                              headers=bearer(token)).status == 403
    with sqlite3.connect(os.path.join(server.data_dir, "twinguard.sqlite")) as db:
        stored = " ".join(r[0].decode() if isinstance(r[0], bytes) else r[0] for r in db.execute("SELECT record FROM access_tokens"))
    assert token.split("_")[2] not in stored
    # The same token works as an MQTT password for its owner.
    client = Client(server.mqtt_port, unique("tool"), V5, username="ops", password=token)
    client.disconnect()
    assert api(server, "DELETE", "/api/v1/tokens/" + made.json()["id"], auth=("ops", PASSWORD)).status == 204
    revoked = httpclient.request(server.http_port, "GET", "/api/v1/twins", headers=bearer(token))
    assert revoked.status == 401
    assert any(e["action"] == "token.create" for e in audit_actions(server))


def test_a_one_time_code_logs_in_once_and_one_address_cannot_try_many_accounts(server_factory):
    server = server_factory(expect=SECURE)
    assert cli("user", "add", "sec", "--role", "security-officer", "--password-stdin", "--data-dir", server.data_dir,
               stdin=PASSWORD + "\n").returncode == 0
    secret = enrol_totp(server, "sec", PASSWORD)
    code = totp(secret)
    assert login(server, "sec", PASSWORD, code=code).status == 200
    replay = login(server, "sec", PASSWORD, code=code)
    assert replay.status == 401 and b"used already" in replay.body
    # 20 failures from one address within a minute (the replay above was the first), spread over many
    # accounts, close that address.
    for index in range(19):
        assert login(server, "nobody-%d" % index, "wrong password!!").status == 401
    blocked = login(server, "sec", PASSWORD, code=totp(secret))
    assert blocked.status == 429 and b"from this address" in blocked.body


def test_users_limited_to_sites_see_and_touch_only_those_sites(server_factory):
    server = server_factory(expect=SECURE)
    a, b = unique("press-a"), unique("press-b")
    assert api(server, "POST", "/api/v1/twins", {"id": a, "tags": {"site": "plant-a"}}).status == 201
    assert api(server, "POST", "/api/v1/twins", {"id": b, "tags": {"site": "plant-b"}}).status == 201
    for name, role in (("eng-a", "engineer"), ("ops-a", "operator")):
        result = cli("user", "add", name, "--role", role, "--site", "plant-a", "--password-stdin", "--data-dir", server.data_dir,
                     stdin=PASSWORD + "\n")
        assert result.returncode == 0 and "limited to sites plant-a" in result.stdout, result.stderr
    eng = ("eng-a", PASSWORD)
    listed = [t["id"] for t in api(server, "GET", "/api/v1/twins?limit=1000", auth=eng).json()["items"]]
    assert a in listed and b not in listed
    assert api(server, "GET", "/api/v1/twins/%s" % a, auth=eng).status == 200
    for method, path, body in (("GET", "/api/v1/twins/%s" % b, None), ("PATCH", "/api/v1/twins/%s" % b, {"tags": {"x": "1"}}),
                               ("GET", "/api/v1/twins/%s/telemetry?field=t" % b, None),
                               ("POST", "/api/v1/twins/%s/telemetry" % b, {"t": 1})):
        assert api(server, method, path, body, auth=eng).status == 404, (method, path)
    assert api(server, "POST", "/api/v1/twins", {"id": unique("x"), "tags": {"site": "plant-b"}}, auth=eng).status == 403
    assert api(server, "POST", "/api/v1/twins", {"id": unique("x")}, auth=eng).status == 403
    assert api(server, "POST", "/api/v1/twins", {"id": unique("x"), "tags": {"site": "plant-a"}}, auth=eng).status == 201
    for path in ("/query?q=SHOW%20MEASUREMENTS&db=default", "/api/v1/query?q=SELECT%20*%20FROM%20twins"):
        refused = api(server, "GET", path, auth=eng)
        assert refused.status == 403 and b"limited to sites" in refused.body, path
    ops = Client(server.mqtt_port, unique("ops"), V5, username="ops-a", password=PASSWORD)
    assert ops.subscribe("tg/default/%s/telemetry" % a, qos=1)[0].value == 1
    assert ops.subscribe("tg/default/%s/telemetry" % b, qos=1)[0].value == 0x87
    assert ops.subscribe("tg/default/+/telemetry", qos=1)[0].value == 0x87
    assert ops.subscribe("#", qos=1)[0].value == 0x87
    ops.publish("tg/default/%s/telemetry" % b, b'{"t": 1}', qos=1)
    assert ops.pubacks.get(timeout=5)[1].value == 0x87
    ops.disconnect()
