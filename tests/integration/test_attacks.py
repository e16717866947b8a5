"""The attack review of issue 14, each finding done for real against the running server: the attack is refused
with a clear answer, audited where it is a security decision, and the server is alive (and its memory bounded)
afterwards. Numbers in the test names follow the issue's list."""
import base64
import gzip
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import threading
import time
import zlib

import paho.mqtt.client as mqtt

from conftest import unique
from helpers import V311, V5, Client, connect_properties
import httpclient
from test_identity import SECURE, api, audit_actions, cli, secure  # noqa: F401 (fixture)
from test_users import bearer, enrol_totp, login, totp

PASSWORD = "a long enough passphrase for tests"


def alive(server):
    assert server.alive(), server.log()[-3000:]
    assert httpclient.request(server.http_port, "GET", "/healthz").status == 200


def rss_kib(server):
    with open("/proc/%d/status" % server.process.pid) as f:
        return int([line for line in f if line.startswith("VmRSS:")][0].split()[1])


def add_user(server, name, role, tenant=None, sites=None):
    body = {"name": name, "password": PASSWORD, "role": role}
    if tenant:
        body["tenant"] = tenant
    if sites:
        body["sites"] = sites
    answer = api(server, "POST", "/api/v1/users", json_body=body)
    assert answer.status == 201, answer
    return name


def entries(server, headers=None, after=0, limit=1000):
    answer = api(server, "GET", "/api/v1/audit?after=%d&limit=%d" % (after, limit), headers=headers)
    assert answer.status == 200, answer
    return answer.json()


# 1. Arithmetic overflow ------------------------------------------------------------------------------------

THERMAL = {
    "id": "tg:attack:Thermal;1",
    "telemetry": [{"name": "temperature", "schema": "double"}],
    "stateModel": {"kind": "thermal", "parameters": {"tau": 1800, "gain": 0.5}, "inputs": {"ambient": 25},
                   "stateField": "temperature"},
}


def test_1_far_future_times_and_huge_numbers_are_refused_not_fatal(server):
    port = server.http_port
    twin = unique("hot")
    assert httpclient.request(port, "POST", "/api/v1/models", json_body=THERMAL).status in (200, 201)
    assert httpclient.request(port, "POST", "/api/v1/twins", json_body={"id": twin, "model": THERMAL["id"]}).status == 201
    assert httpclient.request(port, "POST", "/api/v1/twins/%s/telemetry" % twin, json_body={"temperature": 30}).status == 204

    # The message that crashed the server: over MQTT 5 it is refused with a reason, and the next one is stored.
    device = Client(server.mqtt_port, unique("dev"), V5)
    info = device.publish("tg/default/%s/telemetry" % twin, json.dumps({"ts": "9999-12-31T23:59:59Z", "temperature": 1}), qos=1)
    assert info.rc == 0
    _, code = device.pubacks.get(timeout=5)
    assert code.value >= 0x80, code
    device.publish("tg/default/%s/telemetry" % twin, json.dumps({"temperature": 31}), qos=1)
    assert device.pubacks.get(timeout=5)[1].value == 0
    device.disconnect()

    for ts in ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", 9223372036854775807, -9223372036854775808, 1e300]:
        refused = httpclient.request(port, "POST", "/api/v1/twins/%s/telemetry" % twin, json_body={"ts": ts, "temperature": 1})
        assert refused.status == 422, (ts, refused)
        assert b"outside the accepted range" in refused.body, refused
    line = httpclient.request(port, "POST", "/write?db=default", body="m,twin=%s v=1 9223372036854775807\n" % twin)
    assert line.status == 400 and b"outside the accepted range" in line.body, line

    for query in ["SELECT mean(temperature) FROM telemetry WHERE time > '9999-01-01T00:00:00Z'",
                  "SELECT mean(temperature) FROM telemetry WHERE time > now() - 100000000w",
                  "SELECT mean(temperature) FROM telemetry WHERE time > 9223372036854775807",
                  "SELECT mean(temperature) FROM telemetry WHERE time < now() + 9223372036854775807ns"]:
        answer = httpclient.request(port, "GET", "/query?db=default&q=" + __import__("urllib.parse").parse.quote(query))
        assert answer.status in (200, 400), (query, answer)
        assert "out of range" in json.dumps(answer.json()) or "too large" in json.dumps(answer.json()), (query, answer)

    base = "/api/v1/twins/%s/telemetry?field=temperature&every=1s" % twin
    for suffix in ["&from=-9223372036854775808", "&to=9223372036854775807", "&from=9999-01-01T00:00:00Z",
                   "&every=9223372036854775807ns"]:
        answer = httpclient.request(port, "GET", base + suffix)
        assert answer.status == 400, (suffix, answer)

    for body in [{"horizon": 1e300, "step": 1e-300}, {"horizon": 1e300}, {"horizon": 60, "step": 1e-300},
                 {"horizon": 3600, "schedule": [{"at": 1e300, "inputs": {}}]}]:
        answer = httpclient.request(port, "POST", "/api/v1/twins/%s/simulate" % twin, json_body=body)
        assert answer.status == 400, (body, answer)
    calibrate = httpclient.request(port, "POST", "/api/v1/twins/%s/calibrate" % twin, json_body={"to": "9999-12-31T00:00:00Z"})
    assert calibrate.status == 400 and b"RFC 3339" in calibrate.body, calibrate
    alive(server)


# 2. Authority from a name ------------------------------------------------------------------------------------

def test_2_no_user_takes_a_builtin_principals_name_and_tenant_admins_stay_in_their_tenant(secure):
    for name in ["local-admin", "Local-Admin", "anonymous", "system"]:
        refused = api(secure, "POST", "/api/v1/users", json_body={"name": name, "password": PASSWORD, "role": "admin"})
        assert refused.status == 422 and b"reserved" in refused.body, (name, refused)
    add_user(secure, "boss-acme", "admin", tenant="acme")
    add_user(secure, "worker-default", "viewer")
    secret = enrol_totp(secure, "boss-acme", PASSWORD)
    time.sleep(1)
    session = login(secure, "boss-acme", PASSWORD, totp(secret))
    assert session.status == 200, session
    boss = bearer(session.json()["token"])
    # The tenant admin's attempt of the review: a user named like the local administrator.
    named = api(secure, "POST", "/api/v1/users", json_body={"name": "local-admin", "password": PASSWORD, "role": "admin"},
                headers=boss)
    assert named.status == 422
    users = api(secure, "GET", "/api/v1/users", headers=boss).json()["items"]
    assert {u["tenant"] for u in users} == {"acme"}
    assert api(secure, "POST", "/api/v1/users", headers=boss,
               json_body={"name": unique("x"), "password": PASSWORD, "role": "viewer", "tenant": "default"}).status == 403
    assert {e["tenant"] for e in entries(secure, headers=boss)["entries"]} == {"acme"}
    assert any(e["action"] == "user.create" and e["outcome"] == "deny" and "reserved" in e["detail"] for e in audit_actions(secure))
    alive(secure)


# 3 and 4. MQTT sessions and presence ---------------------------------------------------------------------------

def connect_packet(version, client_id, username, password):
    """A CONNECT (3.1.1 or 5) with clean start off, a user name and a password, as bytes."""
    def text(value):
        data = value.encode()
        return len(data).to_bytes(2, "big") + data
    flags = 0xC0  # user name, password; clean start off
    header = text("MQTT") + bytes([version, flags]) + (60).to_bytes(2, "big")
    if version == 5:
        header += b"\x00"  # no properties
    body = header + text(client_id) + text(username) + text(password)
    length, encoded = len(body), b""
    while True:
        byte, length = length % 128, length // 128
        encoded += bytes([byte | (0x80 if length else 0)])
        if not length:
            break
    return b"\x10" + encoded + body

def test_3_a_persistent_session_belongs_to_the_principal_that_made_it(secure):
    add_user(secure, "op-3", "operator")
    add_user(secure, "viewer-3", "viewer")
    client_id = unique("shared")
    owner = Client(secure.mqtt_port, client_id, V5, clean=True, username="op-3", password=PASSWORD,
                   connect_properties=connect_properties(SessionExpiryInterval=600))
    owner.subscribe("tg/default/secret-twin/telemetry", qos=1)
    owner.disconnect()
    publisher = Client(secure.mqtt_port, unique("pub"), V5, username="op-3", password=PASSWORD)
    publisher.publish("tg/default/secret-twin/telemetry", b'{"v": 1}', qos=1)
    publisher.disconnect()
    # Another user with the same client id is refused: MQTT 5 reason 0x87, 3.1.1 return code 5, on the wire.
    for version, expected in [(5, b"\x87"), (4, b"\x05")]:
        with socket.create_connection(("127.0.0.1", secure.mqtt_port), timeout=5) as raw:
            raw.sendall(connect_packet(version, client_id, "viewer-3", PASSWORD))
            answer = raw.recv(64)
        assert answer[0] == 0x20 and answer[3:4] == expected, (version, answer)
    # The owner still finds its session and the queued message.
    back = Client(secure.mqtt_port, client_id, V5, clean=False, username="op-3", password=PASSWORD)
    assert back.session_present
    assert back.get(timeout=5).payload == b'{"v": 1}'
    back.disconnect()
    time.sleep(0.5)
    denied = [e for e in entries(secure)["entries"] if e["action"] == "mqtt.connect" and e["outcome"] == "deny"]
    assert denied and "belongs to a session of another identity" in denied[0]["detail"], denied
    alive(secure)


def test_4_a_user_with_a_twins_client_id_does_not_make_it_online(secure):
    twin = unique("pump")
    assert api(secure, "POST", "/api/v1/twins", json_body={"id": twin}).status == 201
    add_user(secure, "op-4", "operator")
    user = Client(secure.mqtt_port, twin, V5, username="op-4", password=PASSWORD)
    time.sleep(0.5)
    assert api(secure, "GET", "/api/v1/twins/" + twin).json().get("presence") != "online"
    user.disconnect()
    alive(secure)


# 5. Resource exhaustion ------------------------------------------------------------------------------------

def gzip_of_lines(line, total_bytes):
    """A gzip body of `line` repeated until `total_bytes`, compressed while it is made (no big string)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = line * (1_048_576 // len(line))
    parts, made = [], 0
    while made < total_bytes:
        parts.append(compressor.compress(block))
        made += len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


def test_5_a_gzip_bomb_to_write_is_refused_without_expanding_in_memory(server):
    before = rss_kib(server)
    bomb = gzip_of_lines(b"bomb,twin=bomb v=1\n", 400 * 1_048_576)
    assert len(bomb) < 2 * 1_048_576
    answer = httpclient.request(server.http_port, "POST", "/write?db=default", body=bomb,
                                headers={"Content-Encoding": "gzip"}, timeout=120)
    assert answer.status == 413 and b"larger than 256 MiB" in answer.body, answer
    # Nothing of a refused body is stored.
    count = httpclient.request(server.http_port, "GET", "/query?db=default&q=SELECT%20count(v)%20FROM%20bomb").json()
    assert "series" not in count["results"][0], count
    # A large but allowed body is ingested in batches: stored whole, memory bounded by a batch, not the body.
    body = gzip_of_lines(b"big,twin=big v=2\n", 48 * 1_048_576)
    answer = httpclient.request(server.http_port, "POST", "/write?db=default", body=body,
                                headers={"Content-Encoding": "gzip"}, timeout=300)
    assert answer.status == 204, answer
    grown = rss_kib(server) - before
    assert grown < 1_500_000, "RSS grew by %d KiB" % grown
    alive(server)


def test_5_influxql_cost_limits_and_a_backtracking_regex(server):
    port = server.http_port
    assert httpclient.request(port, "POST", "/write?db=default", body="cost,twin=cost-1,site=aaaaaaaaaaaaaaaaaaaaaaaaaaaaab v=1\n").status == 204
    fields = ",".join(["mean(v)"] * 40)
    expensive = httpclient.request(
        port, "GET", "/query?db=default&q=" + __import__("urllib.parse").parse.quote(
            "SELECT %s FROM cost WHERE time > now() - 11d GROUP BY time(1s)" % fields), timeout=60)
    text = json.dumps(expensive.json())
    assert "query too expensive" in text, text[:500]
    # The review's regex took 11.5 s of CPU with a backtracking matcher; the answer must also be right.
    regex = httpclient.request(
        port, "GET", "/query?db=default&q=" + __import__("urllib.parse").parse.quote(
            "SELECT count(v) FROM cost WHERE site =~ /(.*a){12}$/"), timeout=60).json()
    assert "series" not in regex["results"][0], regex
    matched = httpclient.request(
        port, "GET", "/query?db=default&q=" + __import__("urllib.parse").parse.quote(
            "SELECT count(v) FROM cost WHERE site =~ /^(a+)+b$/"), timeout=60).json()
    assert matched["results"][0]["series"][0]["values"][0][1] == 1, matched
    refused = httpclient.request(
        port, "GET", "/query?db=default&q=" + __import__("urllib.parse").parse.quote(
            "SELECT count(v) FROM cost WHERE site =~ /(?=a)/")).json()
    assert "error parsing regex" in json.dumps(refused)
    alive(server)


def test_5_subscriptions_streams_and_uploads_are_capped_per_principal(server):
    client = Client(server.mqtt_port, unique("subs"), V5)
    codes = []
    for batch in range(11):
        filters = [("cap/%d/%d" % (batch, index), mqtt.SubscribeOptions(qos=0)) for index in range(100)]
        client.client.subscribe(filters)
        codes += client.subacks.get(timeout=10)
    values = [code.value for code in codes]
    assert values[:1000] == [0] * 1000 and values[1000:] == [0x97] * 100, values[995:1005]
    client.disconnect()

    streams = []
    try:
        for _ in range(16):
            s = socket.create_connection(("127.0.0.1", server.http_port))
            s.sendall(b"GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200" in s.recv(200)
            streams.append(s)
        extra = httpclient.request(server.http_port, "GET", "/api/v1/events/stream", timeout=5)
        assert extra.status == 429 and b"too many live streams" in extra.body, extra
    finally:
        for s in streams:
            s.close()
    # Closed streams give their places back.
    deadline = time.time() + 10
    while True:
        s = socket.create_connection(("127.0.0.1", server.http_port))
        s.sendall(b"GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        head = s.recv(200)
        s.close()
        if b" 200 " in head or time.time() > deadline:
            break
        time.sleep(0.2)
    assert b" 200 " in head

    model = {"id": "tg:attack:Rul;1", "telemetry": [{"name": "s", "schema": "double"}],
             "rul": {"sensors": ["s"], "maintenanceBelow": 10}}
    assert httpclient.request(server.http_port, "POST", "/api/v1/models", json_body=model).status in (200, 201)
    big = b" " * (33 * 1_048_576)
    for method, path in [("PUT", "/api/v1/models/tg:attack:Rul;1/rul"), ("POST", "/api/v1/models/tg:attack:Rul;1/rul/train")]:
        answer = httpclient.request(server.http_port, method, path, body=big, timeout=60)
        assert answer.status == 413, (path, answer)
    oversize_query = httpclient.request(server.http_port, "POST", "/api/v1/query", body=b"{" + b" " * 70_000 + b"}",
                                        headers={"Content-Type": "application/json"})
    assert oversize_query.status == 413, oversize_query
    alive(server)


# 6. Audit tampering ------------------------------------------------------------------------------------------

def swift_hash(entry):
    """AuditChain.hash: SHA-256 of the JSON array of the fields as Swift's JSONEncoder writes it."""
    fields = [str(entry["time"]), entry["tenant"], entry["actor"], entry["action"], entry["target"], entry["outcome"],
              entry["detail"], entry["previous_hash"]]
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")
    return hashlib.sha256(text.encode()).hexdigest()


def test_6_deleting_or_rewriting_the_audit_log_and_its_checkpoints_is_found(server_factory, tmp_path):
    server = server_factory(expect=SECURE)
    for index in range(3):
        assert api(server, "POST", "/api/v1/twins", json_body={"id": "t6-%d" % index}).status == 201
        assert api(server, "POST", "/api/v1/enrollment-tokens", json_body={"twin": "t6-%d" % index}).status == 201
    anchor = str(tmp_path / "anchor.json")
    exported = cli("audit", "checkpoint", "--out", anchor, "--data-dir", server.data_dir)
    assert exported.returncode == 0, exported.stderr
    assert oct(os.stat(anchor).st_mode & 0o777) == "0o600"
    for index in range(3, 6):
        assert api(server, "POST", "/api/v1/enrollment-tokens", json_body={"twin": "t6-%d" % index}).status == 201
    # A tenant learns whether the chain is intact, not how long it is; the checkpoint is the operator's.
    server.stop()
    database = os.path.join(server.data_dir, "twinguard.sqlite")
    checkpoints = os.path.join(server.data_dir, "audit-checkpoints.jsonl")
    assert oct(os.stat(checkpoints).st_mode & 0o777) == "0o600"
    assert oct(os.stat(database).st_mode & 0o777) == "0o600"
    assert cli("audit", "verify", "--anchor", anchor, "--data-dir", server.data_dir).returncode == 0
    db = sqlite3.connect(database)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    pristine, pristine_file = str(tmp_path / "pristine.sqlite"), str(tmp_path / "pristine.jsonl")
    subprocess.run(["cp", database, pristine], check=True)
    subprocess.run(["cp", checkpoints, pristine_file], check=True)

    def restore():
        for suffix in ("-wal", "-shm"):
            if os.path.exists(database + suffix):
                os.remove(database + suffix)
        subprocess.run(["cp", pristine, database], check=True)
        subprocess.run(["cp", pristine_file, checkpoints], check=True)

    def verify(*extra):
        return cli("audit", "verify", *extra, "--data-dir", server.data_dir)

    def rows(db):
        names = ["sequence", "time", "tenant", "actor", "action", "target", "outcome", "detail", "previous_hash", "hash"]
        return [dict(zip(names, row)) for row in db.execute("SELECT %s FROM audit_log ORDER BY sequence" % ",".join(names))]

    # (a) The newest entries and their checkpoints deleted from the database: the file still names them.
    restore()
    db = sqlite3.connect(database)
    last = db.execute("SELECT MAX(sequence) FROM audit_log").fetchone()[0]
    db.execute("DELETE FROM audit_log WHERE sequence > ?", (last - 2,))
    db.execute("DELETE FROM identity_settings WHERE key LIKE 'checkpoint/%' AND CAST(substr(key, 12) AS INTEGER) > ?", (last - 2,))
    db.commit()
    db.close()
    cut = verify()
    assert cut.returncode == 2 and "missing from the database" in cut.stdout, cut.stdout

    # (b) An entry forged, the rest re-hashed, every checkpoint in the database deleted.
    restore()
    db = sqlite3.connect(database)
    chain = rows(db)
    assert swift_hash(chain[1]) == chain[1]["hash"], "the test's copy of the hash rule is wrong"
    previous = chain[1]["previous_hash"]
    for entry in chain[1:]:
        if entry is chain[1]:
            entry["detail"] = "nothing happened"
        entry["previous_hash"] = previous
        entry["hash"] = swift_hash(entry)
        previous = entry["hash"]
        db.execute("UPDATE audit_log SET detail = ?, previous_hash = ?, hash = ? WHERE sequence = ?",
                   (entry["detail"], entry["previous_hash"], entry["hash"], entry["sequence"]))
    db.execute("DELETE FROM identity_settings WHERE key LIKE 'checkpoint/%'")
    db.commit()
    db.close()
    forged = verify()
    assert forged.returncode == 2 and "missing from the database" in forged.stdout, forged.stdout
    # With the checkpoint file gone too, only the exported anchor tells.
    os.remove(checkpoints)
    assert verify().returncode == 0
    anchored = verify("--anchor", anchor)
    assert anchored.returncode == 2 and ("altered" in anchored.stdout or "not in this log" in anchored.stdout), anchored.stdout

    # (c) A gap in the checkpoint numbers (one removed from both places).
    restore()
    with open(checkpoints) as f:
        lines = f.readlines()
    assert len(lines) >= 3
    removed = json.loads(lines[1])
    with open(checkpoints, "w") as f:
        f.writelines(lines[:1] + lines[2:])
    db = sqlite3.connect(database)
    db.execute("DELETE FROM identity_settings WHERE key = ?", ("checkpoint/%020d" % removed["sequence"],))
    db.commit()
    db.close()
    gap = verify()
    assert gap.returncode == 2 and "gap" in gap.stdout, gap.stdout

    # (d) Cut back to before the anchor, checkpoints and all: the anchor names entries that are gone.
    restore()
    with open(anchor) as f:
        anchored_at = json.load(f)["sequence"]
    db = sqlite3.connect(database)
    db.execute("DELETE FROM audit_log WHERE sequence >= ?", (anchored_at,))
    db.execute("DELETE FROM identity_settings WHERE key LIKE 'checkpoint/%'")
    db.commit()
    db.close()
    os.remove(checkpoints)
    truncated = verify("--anchor", anchor)
    assert truncated.returncode == 2 and "were deleted" in truncated.stdout, truncated.stdout


# 7 and 8. Audit flooding and user enumeration --------------------------------------------------------------

def test_7_garbage_to_enroll_and_setup_is_coalesced_in_the_audit_log(secure):
    before = entries(secure)["entries"]
    start = before[-1]["sequence"] if before else 0
    for index in range(60):
        httpclient.request(secure.http_port, "POST", "/api/v1/enroll", json_body={"token": "x" * 20, "csr": "garbage"})
        httpclient.request(secure.http_port, "POST", "/api/v1/setup",
                           json_body={"token": "y" * 32, "name": "evil%d" % index, "password": PASSWORD})
    time.sleep(0.5)
    new = [e for e in entries(secure, after=start)["entries"] if e["outcome"] == "deny"]
    assert 1 <= len(new) <= 10, [(e["action"], e["detail"]) for e in new]
    assert any("more like it" in e["detail"] for e in entries(secure, after=start)["entries"]) or len(new) <= 4
    alive(secure)


def test_8_unknown_and_known_user_names_cost_the_same(secure):
    add_user(secure, "known-8", "viewer")

    def timed(name):
        started = time.perf_counter()
        answer = httpclient.request(secure.http_port, "GET", "/api/v1/twins", auth=(name, "wrong password!"))
        assert answer.status == 401
        return time.perf_counter() - started

    known = sorted(timed("known-8") for _ in range(3))[1]
    unknown = sorted(timed("nobody-%d" % i) for i in range(3))[1]
    # Not a timing threshold on the server's speed: the two must be of one order (bcrypt in both), where the
    # review measured 133 ms against 1 ms.
    assert unknown > known / 4, (known, unknown)
    denied = [e for e in entries(secure)["entries"] if e["action"] == "user.login" and "unknown user" in e["detail"]]
    assert denied


# 9 and 10. Lockout and the setup token ---------------------------------------------------------------------

def test_9_failures_from_one_address_do_not_lock_the_account_elsewhere(secure):
    add_user(secure, "victim-9", "viewer")
    for _ in range(6):
        answer = httpclient.request(secure.http_port, "GET", "/api/v1/twins", auth=("victim-9", "wrong password!"))
    assert answer.status == 401 and b"locked out from it" in answer.body, answer
    # Locked out from this address even with the right password (the other addresses are the Swift test's:
    # the server listens on 127.0.0.1 only).
    right = httpclient.request(secure.http_port, "GET", "/api/v1/twins", auth=("victim-9", PASSWORD))
    assert right.status == 401 and b"locked out from it" in right.body, right
    actions = [(e["action"], e["detail"]) for e in entries(secure)["entries"]]
    assert any("locked out from 127.0.0.1" in detail for action, detail in actions), actions[-10:]


def test_10_one_setup_token_makes_one_administrator_however_many_race(server_factory):
    from test_users import setup_token
    server = server_factory(expect=SECURE)
    token = setup_token(server)
    results = []

    def attempt(index):
        results.append(httpclient.request(server.http_port, "POST", "/api/v1/setup",
                                          json_body={"token": token, "name": "admin%d" % index, "password": PASSWORD}).status)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201, 403, 403, 403, 403, 403], results
    users = api(server, "GET", "/api/v1/users").json()["items"]
    assert len(users) == 1


# 11. Audit pages ------------------------------------------------------------------------------------------------

def test_11_a_tenants_audit_pages_are_full_and_have_a_cursor(secure):
    add_user(secure, "eng-11", "engineer", tenant="t11")
    add_user(secure, "sec-11", "security-officer", tenant="t11")
    for index in range(30):
        api(secure, "POST", "/api/v1/enrollment-tokens", json_body={"twin": "noise-%d" % index})
    for index in range(5):
        api(secure, "POST", "/api/v1/enrollment-tokens", json_body={"twin": "mine-%d" % index, "tenant": "t11"})
    # The local administrator reads the tenant's entries as a tenant user would, page by page.
    secret = enrol_totp(secure, "sec-11", PASSWORD)
    time.sleep(1)
    session = bearer(login(secure, "sec-11", PASSWORD, totp(secret)).json()["token"])
    first = entries(secure, headers=session, limit=3)
    assert len(first["entries"]) == 3 and all(e["tenant"] == "t11" for e in first["entries"])
    assert first["next"] == str(first["entries"][-1]["sequence"])
    rest = entries(secure, headers=session, after=int(first["next"]), limit=1000)
    assert all(e["tenant"] == "t11" for e in rest["entries"]) and "next" not in rest
    verify = api(secure, "GET", "/api/v1/audit/verify", headers=session).json()
    assert verify == {"intact": "true", "finding": "intact"}
    # The whole chain's head and length are the operator's: the local administrator sees them, a tenant not.
    assert "entries" in api(secure, "GET", "/api/v1/audit/verify").json()["finding"]
    assert api(secure, "GET", "/api/v1/audit/checkpoint", headers=session).status == 403
    assert api(secure, "GET", "/api/v1/audit/checkpoint").status == 200


# 13. Smaller leaks -------------------------------------------------------------------------------------------------

def test_13_metrics_need_a_credential_and_the_database_is_private(secure):
    port = secure.http_port
    assert httpclient.request(port, "GET", "/metrics").status == 401
    add_user(secure, "eng-13", "engineer")
    assert httpclient.request(port, "GET", "/metrics", auth=("eng-13", PASSWORD)).status == 403
    with open(os.path.join(secure.data_dir, "metrics.token")) as f:
        token = f.read().strip()
    assert oct(os.stat(os.path.join(secure.data_dir, "metrics.token")).st_mode & 0o777) == "0o600"
    scraped = httpclient.request(port, "GET", "/metrics", headers=bearer(token))
    assert scraped.status == 200 and b"twinguard_" in scraped.body
    # The metrics token opens nothing else.
    assert httpclient.request(port, "GET", "/api/v1/twins", headers=bearer(token)).status == 401
    assert api(secure, "GET", "/metrics").status == 200
    assert oct(os.stat(os.path.join(secure.data_dir, "twinguard.sqlite")).st_mode & 0o777) == "0o600"


# 14. Found by reading ----------------------------------------------------------------------------------------------

def test_14_webhooks_may_not_reach_internal_addresses(server):
    for url in ["http://127.0.0.1:9/x", "http://[::1]:9/", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/",
                "http://192.168.0.1/", "http://172.16.0.1/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"]:
        answer = httpclient.request(server.http_port, "POST", "/api/v1/webhooks", json_body={"url": url})
        assert answer.status == 400 and b"public addresses" in answer.body, (url, answer)
    # A name is judged on what it resolves to, at delivery: localhost is accepted as a URL, never reached.
    assert httpclient.request(server.http_port, "POST", "/api/v1/webhooks", json_body={"url": "http://localhost:9/x"}).status == 201


def test_14_a_token_is_worth_what_its_owner_is_worth_now(secure):
    add_user(secure, "op-14", "operator")
    made = api(secure, "POST", "/api/v1/tokens", auth=("op-14", PASSWORD), json_body={"name": "ci"})
    assert made.status == 201, made
    token = bearer(made.json()["token"])
    assert api(secure, "POST", "/api/v1/twins", headers=token, json_body={"id": unique("t14")}).status == 201
    viewer_token = bearer(api(secure, "POST", "/api/v1/tokens", auth=("op-14", PASSWORD),
                              json_body={"name": "dashboard", "role": "viewer"}).json()["token"])
    # Demoted to viewer: the operator token is revoked at once; a viewer token stays what it was.
    with_role = api(secure, "PATCH", "/api/v1/users/op-14", json_body={"role": "viewer"})
    assert with_role.status == 200 and with_role.json()["role"] == "viewer", with_role
    refused = api(secure, "POST", "/api/v1/twins", headers=token, json_body={"id": unique("t14")})
    assert refused.status == 401 and b"revoked" in refused.body, refused
    assert api(secure, "GET", "/api/v1/twins", headers=token).status == 401
    changed = [e for e in audit_actions(secure) if e["action"] == "user.update" and e["target"] == "op-14"]
    assert changed and "role operator → viewer" in changed[-1]["detail"] and "revoked" in changed[-1]["detail"], changed


# 15. Secure defaults --------------------------------------------------------------------------------------------------

def test_15_the_first_line_says_what_listens_in_plaintext(secure):
    first = secure.output.decode().splitlines()[0]
    assert first.startswith("plaintext (no TLS) on 127.0.0.1:") and "only from this machine" in first, first
    assert "wss" in secure.ports


# The user lifecycle from the command line ------------------------------------------------------------------

def test_lifecycle_from_the_command_line(secure):
    add_user(secure, "cli-user", "operator")
    made = api(secure, "POST", "/api/v1/tokens", auth=("cli-user", PASSWORD), json_body={"name": "nightly"})
    assert made.status == 201, made
    listed = cli("user", "tokens", "cli-user", "--data-dir", secure.data_dir)
    assert listed.returncode == 0 and made.json()["id"] in listed.stdout and "nightly" in listed.stdout, listed
    revoked = cli("user", "revoke-token", made.json()["id"], "--data-dir", secure.data_dir)
    assert revoked.returncode == 0, revoked.stderr
    assert api(secure, "GET", "/api/v1/twins", headers=bearer(made.json()["token"])).status == 401
    assert cli("user", "change", "cli-user", "--role", "viewer", "--data-dir", secure.data_dir).returncode == 0
    assert cli("user", "change", "cli-user", "--disable", "--data-dir", secure.data_dir).returncode == 0
    refused = httpclient.request(secure.http_port, "GET", "/api/v1/twins", auth=("cli-user", PASSWORD))
    assert refused.status == 401 and b"disabled" in refused.body, refused
    new_password = cli("user", "change", "cli-user", "--enable", "--reset-password", "--data-dir", secure.data_dir,
                       stdin="another long passphrase\n")
    assert new_password.returncode == 0, new_password.stderr
    assert httpclient.request(secure.http_port, "GET", "/api/v1/twins", auth=("cli-user", "another long passphrase")).status == 200
    assert cli("user", "change", "cli-user", "--delete", "--data-dir", secure.data_dir).returncode == 0
    actions = [(e["action"], e["target"]) for e in audit_actions(secure)]
    for action in ["token.revoke", "user.update", "user.password.reset", "user.delete"]:
        assert any(a == action for a, _ in actions), action
