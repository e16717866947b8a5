"""Zero-trust device identity against the real server: enrollment, mutual TLS, per-message policy,
revocation, trust tiers, roles, and the audit chain. Denials first, then the happy paths."""
import datetime
import json
import os
import socket
import sqlite3
import ssl
import subprocess
import time
import urllib.error

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import BIN, unique
from helpers import V5, V311, Client, mosquitto
import httpclient

SECURE = ("mqtt", "ws", "http", "mqtts", "https")


@pytest.fixture
def secure(server_factory):
    """A server without development access: certificates, users and the local admin token only."""
    return server_factory(expect=SECURE)


def cli(*args, stdin=None, timeout=30):
    return subprocess.run([BIN, *args], capture_output=True, text=True, input=stdin, timeout=timeout)


def admin_headers(server):
    with open(os.path.join(server.data_dir, "run", "admin.json")) as f:
        return {"Authorization": "Bearer " + json.load(f)["token"]}


def api(server, method, path, json_body=None, auth=None, headers=None):
    if auth is None and headers is None:
        headers = admin_headers(server)
    return httpclient.request(server.http_port, method, path, json_body=json_body, auth=auth, headers=headers)


def token_for(server, twin, ttl="1h"):
    result = cli("token", "enrollment", "--twin", twin, "--ttl", ttl, "--data-dir", server.data_dir)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def enroll(server, twin, out):
    token = token_for(server, twin)
    result = cli("device", "enroll", "--server", "https://127.0.0.1:%d" % server.ports["https"], "--token", token,
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    return (str(out / "ca.crt"), str(out / "device.crt"), str(out / "device.key"))


def device(server, files, client_id=None, version=V5):
    return Client(server.ports["mqtts"], client_id or unique("dev"), version, tls=files)


def audit_actions(server):
    answer = api(server, "GET", "/api/v1/audit?limit=1000")
    assert answer.status == 200, answer
    return answer.json()["entries"]


# ---------------------------------------------------------------------------------------------- denials

def test_connection_without_client_certificate_or_credentials_is_refused(secure, tmp_path):
    """mqtts serves devices with certificates and users with passwords: a client with neither is refused
    (CONNACK 5, not authorized) and the connection closed."""
    files = enroll(secure, unique("pump"), tmp_path / "dev")
    context = ssl.create_default_context(cafile=files[0])
    with socket.create_connection(("127.0.0.1", secure.ports["mqtts"]), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00")
            assert tls.recv(4) == b"\x20\x02\x00\x05"
            assert tls.recv(4) == b""


def test_certificate_of_another_ca_is_refused(secure, tmp_path):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Rogue CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    files = issue_with(tmp_path, ca_key, ca.subject, "default", "pump-rogue", now - datetime.timedelta(days=1),
                       now + datetime.timedelta(days=30), ca_file=enroll(secure, unique("p"), tmp_path / "real")[0])
    result = mosquitto("mosquitto_pub", "-h", "127.0.0.1", "-p", str(secure.ports["mqtts"]), "--cafile", files[0],
                       "--cert", files[1], "--key", files[2], "-t", "tg/default/pump-rogue/telemetry", "-m", "{}")
    assert result.returncode != 0
    assert "not issued by this server's device CA" in secure.log()
    time.sleep(0.3)
    refusals = [e for e in audit_actions(secure) if e["action"] == "tls.certificate"]
    assert refusals and "not issued by this server's device CA" in refusals[0]["detail"]


def issue_with(tmp_path, ca_key, issuer, tenant, twin, not_before, not_after, ca_file):
    """A client certificate with TwinGuard's identity SAN, signed by `ca_key`."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, twin)])).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(
                "urn:twinguard:%s/%s" % (tenant, twin))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder = tmp_path / unique("issued")
    folder.mkdir()
    (folder / "device.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "device.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    return (ca_file, str(folder / "device.crt"), str(folder / "device.key"))


def test_expired_certificate_is_refused(secure, tmp_path):
    files = enroll(secure, unique("pump"), tmp_path / "dev")
    with open(os.path.join(secure.data_dir, "pki", "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(files[0], "rb") as f:
        ca = x509.load_pem_x509_certificate(f.read())
    now = datetime.datetime.now(datetime.timezone.utc)
    expired = issue_with(tmp_path, ca_key, ca.subject, "default", "pump-old", now - datetime.timedelta(days=60),
                         now - datetime.timedelta(days=30), ca_file=files[0])
    result = mosquitto("mosquitto_pub", "-h", "127.0.0.1", "-p", str(secure.ports["mqtts"]), "--cafile", expired[0],
                       "--cert", expired[1], "--key", expired[2], "-t", "tg/default/pump-old/telemetry", "-m", "{}")
    assert result.returncode != 0
    assert "the certificate expired at" in secure.log()


def test_one_twin_cannot_publish_or_subscribe_on_another_twins_topics(secure, tmp_path):
    mine, other = unique("pump"), unique("pump")
    files = enroll(secure, mine, tmp_path / "dev")
    client = device(secure, files)
    info = client.publish("tg/default/%s/telemetry" % other, b'{"t": 1}', qos=1)
    mid, code = client.pubacks.get(timeout=5)
    assert mid == info.mid and code.value == 0x87
    assert client.subscribe("tg/default/%s/desired" % other, qos=1)[0].value == 0x87
    assert client.subscribe("#", qos=1)[0].value == 0x87
    client.disconnect()
    # MQTT 3.1.1 has no reason code for a refused PUBLISH: the connection is closed.
    legacy = device(secure, files, version=V311)
    legacy.publish("tg/default/%s/telemetry" % other, b'{"t": 1}', qos=1, wait=False)
    assert legacy.disconnected.wait(5)
    assert "no policy lets device '%s' publish to 'tg/default/%s/telemetry'" % (mine, other) in secure.log()
    metrics = httpclient.request(secure.http_port, "GET", "/metrics", headers=admin_headers(secure)).body.decode()
    line = [l for l in metrics.splitlines() if l.startswith("twinguard_mqtt_authorization_denials_total")][0]
    assert int(float(line.split()[-1])) >= 4
    # Audited too, at most once per device and kind every 10 s so that a flood cannot fill the log.
    time.sleep(0.3)
    denied = [e for e in audit_actions(secure) if e["action"] == "mqtt.publish" and e["actor"] == mine]
    assert len(denied) == 1 and denied[0]["outcome"] == "deny" and denied[0]["target"] == "tg/default/%s/telemetry" % other


def test_client_id_of_another_device_cannot_take_over_its_session(secure, tmp_path):
    first = enroll(secure, unique("pump"), tmp_path / "a")
    second = enroll(secure, unique("pump"), tmp_path / "b")
    shared = unique("shared-id")
    owner = device(secure, first, client_id=shared)
    with pytest.raises(Exception):
        intruder = device(secure, second, client_id=shared)
        assert intruder.connack[1].value == 0x87
        raise RuntimeError("refused as expected")
    assert not owner.disconnected.is_set()
    owner.disconnect()


def test_reused_expired_and_forged_enrollment_tokens_are_refused(secure, tmp_path):
    https = "https://127.0.0.1:%d" % secure.ports["https"]
    token = token_for(secure, unique("pump"))
    assert cli("device", "enroll", "--server", https, "--token", token, "--out", str(tmp_path / "1")).returncode == 0
    reused = cli("device", "enroll", "--server", https, "--token", token, "--out", str(tmp_path / "2"))
    assert reused.returncode == 1 and "already used" in reused.stderr
    short = token_for(secure, unique("pump"), ttl="1s")
    time.sleep(1.5)
    expired = cli("device", "enroll", "--server", https, "--token", short, "--out", str(tmp_path / "3"))
    assert expired.returncode == 1 and "expired" in expired.stderr
    forged = token_for(secure, unique("pump"))
    forged = forged[:-64] + "0" * 64
    pinned = cli("device", "enroll", "--server", https, "--token", forged, "--out", str(tmp_path / "4"))
    assert pinned.returncode == 1 and "refusing to enroll" in pinned.stderr
    assert not (tmp_path / "4" / "device.key").exists()
    denials = [e for e in audit_actions(secure) if e["action"] == "device.enroll" and e["outcome"] == "deny"]
    assert {"the enrollment token was already used; ask the operator for a new one",
            "the enrollment token has expired; ask the operator for a new one"} <= {e["detail"] for e in denials}


def test_revocation_closes_live_connections_and_refuses_new_ones(secure, tmp_path):
    twin = unique("pump")
    files = enroll(secure, twin, tmp_path / "dev")
    live = device(secure, files)
    assert live.subscribe("tg/default/%s/desired" % twin, qos=1)[0].value == 1
    serial = api(secure, "GET", "/api/v1/devices/%s" % twin).json()["certificates"][0]["serial"]
    started = time.time()
    result = cli("device", "revoke", "--twin", twin, "--data-dir", secure.data_dir)
    assert result.returncode == 0 and "closed 1 live connection" in result.stdout, result.stderr
    assert live.disconnected.wait(10), "revoked device still connected after 10 s"
    print("revocation cut the live connection after %.3f s (including the CLI's start)" % (time.time() - started))
    assert live.disconnect_reason.value == 0x87
    with pytest.raises(Exception):
        device(secure, files)
    crl = tmp_path / "crl.der"
    crl.write_bytes(httpclient.request(secure.http_port, "GET", "/pki/crl").body)
    text = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(crl), "-CAfile", files[0], "-noout", "-text"],
                          capture_output=True, text=True)
    assert "verify OK" in text.stderr + text.stdout
    assert serial.upper() in text.stdout.replace(":", "").upper()


def test_quarantined_device_may_only_report_posture(secure, tmp_path):
    twin = unique("pump")
    files = enroll(secure, twin, tmp_path / "dev")
    client = device(secure, files)
    assert client.subscribe("tg/default/%s/commands/#" % twin, qos=1)[0].value == 1
    answer = api(secure, "PUT", "/api/v1/devices/%s/tier" % twin, {"tier": "quarantined", "reason": "firmware 1.0 is vulnerable"})
    assert answer.status == 200 and answer.json()["tier"] == "quarantined"
    # The next publish is refused without a reconnect.
    client.publish("tg/default/%s/telemetry" % twin, b'{"t": 1}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0x87
    assert client.subscribe("tg/default/%s/commands/#" % twin, qos=1)[0].value == 0x87
    client.publish("tg/default/%s/posture" % twin, b'{"firmware": "1.0"}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value in (0, 0x10)
    entries = [e for e in audit_actions(secure) if e["action"] == "device.tier"]
    assert entries and "trusted → quarantined: firmware 1.0 is vulnerable" in entries[-1]["detail"]


def test_each_role_is_refused_what_it_may_not_do(secure):
    password = "a long enough passphrase 42"
    for role in ("viewer", "engineer", "operator", "security-officer"):
        result = cli("user", "add", role + "-user", "--role", role, "--password-stdin", "--data-dir", secure.data_dir,
                     stdin=password + "\n")
        assert result.returncode == 0, result.stderr
    cases = [
        ("viewer", "POST", "/api/v1/twins", {"id": unique("x")}),
        ("viewer", "POST", "/write?db=default", None),
        ("engineer", "POST", "/api/v1/devices/x/revoke", {}),
        ("engineer", "GET", "/api/v1/audit", None),
        ("operator", "GET", "/api/v1/audit", None),
        ("operator", "POST", "/api/v1/models", {"id": "m"}),
        ("security-officer", "POST", "/api/v1/users", {"name": "z", "role": "admin", "password": password}),
        ("security-officer", "POST", "/api/v1/twins", {"id": unique("x")}),
        ("operator", "PATCH", "/api/v1/tenant", {"strict": True}),
    ]
    # The security officer's role needs a second factor: enrol TOTP and send the code with HTTP Basic.
    from test_users import enrol_totp, totp
    secret = enrol_totp(secure, "security-officer-user", password)

    def headers(role):
        return {"X-TwinGuard-OTP": totp(secret)} if role == "security-officer" else {}

    for role, method, path, body in cases:
        answer = httpclient.request(secure.http_port, method, path, json_body=body, auth=(role + "-user", password),
                                    headers=headers(role))
        assert answer.status == 403, (role, method, path, answer)
    allowed = [
        ("viewer", "GET", "/api/v1/twins", None, 200),
        ("engineer", "POST", "/api/v1/twins", {"id": unique("x")}, 201),
        ("security-officer", "GET", "/api/v1/audit", None, 200),
    ]
    for role, method, path, body, status in allowed:
        answer = httpclient.request(secure.http_port, method, path, json_body=body, auth=(role + "-user", password),
                                    headers=headers(role))
        assert answer.status == status, (role, path, answer)
    # Each refused route of each user is audited (repetitions within 10 s are logged, not audited).
    deadline = time.time() + 5
    while True:
        denied = {(e["actor"], e["target"]) for e in audit_actions(secure) if e["action"] == "http.request" and e["outcome"] == "deny"}
        if len(denied) >= len(cases) or time.time() > deadline:
            break
        time.sleep(0.1)
    assert {(role + "-user", method + " " + path.split("?")[0]) for role, method, path, _ in cases} <= denied


def test_passwords_weak_or_common_are_refused_and_failures_lock_the_account(secure):
    for weak, reason in (("short", "at least 12"), ("Qwerty123456", "commonly used"), ("aaaaaaaaaaaaaa", "commonly used")):
        result = cli("user", "add", unique("u"), "--role", "viewer", "--password-stdin", "--data-dir", secure.data_dir,
                     stdin=weak + "\n")
        assert result.returncode == 1 and reason in result.stderr, (weak, result.stderr)
    assert cli("user", "add", "carol", "--role", "viewer", "--data-dir", secure.data_dir).returncode != 0
    good = "carol's very own passphrase"
    assert cli("user", "add", "carol", "--role", "viewer", "--password-stdin", "--data-dir", secure.data_dir,
               stdin=good + "\n").returncode == 0
    for _ in range(5):
        assert api(secure, "GET", "/api/v1/twins", auth=("carol", "wrong password!!")).status == 401
    locked = api(secure, "GET", "/api/v1/twins", auth=("carol", good))
    assert locked.status == 401 and b"locked" in locked.body
    logins = [e for e in audit_actions(secure) if e["action"] == "user.login" and e["actor"] == "carol"]
    assert sum(e["outcome"] == "failure" for e in logins) == 5 and logins[-1]["outcome"] == "deny"


def test_tampered_deleted_and_reordered_audit_entries_are_named(server_factory, tmp_path):
    server = server_factory(expect=SECURE)
    for index in range(4):
        token_for(server, "pump-%d" % index)
    server.stop()
    database = os.path.join(server.data_dir, "twinguard.sqlite")
    assert cli("audit", "verify", "--data-dir", server.data_dir).returncode == 0
    pristine = str(tmp_path / "pristine.sqlite")
    db = sqlite3.connect(database)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    subprocess.run(["cp", database, pristine], check=True)

    def restore():
        for suffix in ("-wal", "-shm"):
            if os.path.exists(database + suffix):
                os.remove(database + suffix)
        subprocess.run(["cp", pristine, database], check=True)

    def damaged(sql):
        restore()
        db = sqlite3.connect(database)
        db.executescript(sql)
        db.commit()
        db.close()
        return cli("audit", "verify", "--data-dir", server.data_dir)

    altered = damaged("UPDATE audit_log SET detail = 'nothing happened' WHERE sequence = 3;")
    assert altered.returncode == 2 and "audit entry 3 was altered" in altered.stdout
    deleted = damaged("DELETE FROM audit_log WHERE sequence = 2;")
    assert deleted.returncode == 2 and "audit entry 2 was deleted" in deleted.stdout
    reordered = damaged("""
        UPDATE audit_log SET sequence = 100 WHERE sequence = 2;
        UPDATE audit_log SET sequence = 2 WHERE sequence = 3;
        UPDATE audit_log SET sequence = 3 WHERE sequence = 100;""")
    assert reordered.returncode == 2 and "audit entry 2 is out of order" in reordered.stdout
    # The server signed the chain's head at shutdown: cutting off the end is noticed too.
    truncated = damaged("DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log);")
    assert truncated.returncode == 2 and "were deleted: a signed checkpoint names entry" in truncated.stdout, truncated.stdout
    forged = damaged("UPDATE identity_settings SET document = replace(document, '\"signature\":\"M', '\"signature\":\"N') "
                     "WHERE key LIKE 'checkpoint/%';")
    assert forged.returncode == 2 and "checkpoint" in forged.stdout, forged.stdout
    restore()
    exported = cli("audit", "export", "--data-dir", server.data_dir)
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [e["sequence"] for e in lines] == list(range(1, len(lines) + 1))
    assert lines[0]["action"] == "pki.ca.create" and lines[1]["tenant"] == "default"


def test_tls_offers_only_tls12_and_13_with_strong_ciphers(secure):
    port = secure.ports["https"]
    for version in ("-tls1", "-tls1_1"):
        old = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, version],
                             input="", capture_output=True, text=True, timeout=15)
        assert "Cipher is (NONE)" in old.stdout or old.returncode != 0
    for weak in ("RC4", "3DES", "NULL", "aNULL", "EXPORT"):
        result = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2", "-cipher", weak],
                                input="", capture_output=True, text=True, timeout=15)
        assert "Cipher is (NONE)" in result.stdout or result.returncode != 0, weak
    good = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_3"],
                          input="", capture_output=True, text=True, timeout=15)
    assert "TLSv1.3" in good.stdout


def test_admin_file_is_private_and_removed_at_shutdown_and_a_stale_one_does_not_block(server_factory):
    server = server_factory(expect=SECURE)
    path = os.path.join(server.data_dir, "run", "admin.json")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(os.path.join(server.data_dir, "pki", "ca.key")).st_mode & 0o777 == 0o600
    assert json.load(open(path))["pid"] == server.process.pid
    server.stop()
    assert not os.path.exists(path)
    with open(path, "w") as f:
        json.dump({"pid": 1, "url": "http://127.0.0.1:9", "token": "stale"}, f)
    # A stale file is ignored by the command line (no server holds the lock) and replaced by the next start.
    assert cli("token", "enrollment", "--twin", "offline-pump", "--data-dir", server.data_dir).returncode == 0
    server.start()
    assert json.load(open(path))["pid"] == server.process.pid


def test_tenants_are_isolated(secure, tmp_path):
    password = "tenant b's operator passphrase"
    assert cli("user", "add", "bob", "--role", "operator", "--tenant", "acme", "--password-stdin", "--data-dir",
               secure.data_dir, stdin=password + "\n").returncode == 0
    twin = unique("pump")
    files = enroll(secure, twin, tmp_path / "dev")
    reporter = device(secure, files)
    reporter.publish("tg/default/%s/telemetry" % twin, b'{"secret": 42}', qos=1)
    assert reporter.pubacks.get(timeout=5)[1].value == 0
    bob = ("bob", password)
    assert api(secure, "GET", "/api/v1/twins/%s" % twin, auth=bob).status == 404
    assert twin.encode() not in api(secure, "GET", "/api/v1/twins", auth=bob).body
    answer = httpclient.query(secure.http_port, "SELECT * FROM telemetry", db="default", auth=bob)
    assert b"42" not in answer.body
    spy = Client(secure.mqtt_port, unique("spy"), V5, username="bob", password=password)
    spy.subscribe("#", qos=1)
    reporter.publish("tg/default/%s/telemetry" % twin, b'{"secret": 43}', qos=1)
    assert spy.nothing(timeout=1.0)
    spy.disconnect()


# ------------------------------------------------------------------------------------------ happy paths

def test_mosquitto_pub_with_certificate_feeds_the_twin(secure, tmp_path):
    twin = unique("pump")
    files = enroll(secure, twin, tmp_path / "dev")
    assert oct(os.stat(files[2]).st_mode & 0o777) == "0o600"
    result = mosquitto("mosquitto_pub", "-h", "127.0.0.1", "-p", str(secure.ports["mqtts"]), "--cafile", files[0],
                       "--cert", files[1], "--key", files[2], "-i", "any-client-id", "-q", "1",
                       "-t", "tg/default/%s/telemetry" % twin, "-m", '{"temperature": 71.5}')
    assert result.returncode == 0, result.stderr
    document = api(secure, "GET", "/api/v1/twins/%s" % twin).json()
    assert document["telemetry"]["temperature"]["value"] == 71.5


def test_paho_over_tls_receives_its_desired_state(secure, tmp_path):
    twin = unique("pump")
    files = enroll(secure, twin, tmp_path / "dev")
    client = device(secure, files)
    assert client.subscribe("tg/default/%s/desired" % twin, qos=1)[0].value == 1
    answer = api(secure, "PATCH", "/api/v1/twins/%s/desired" % twin, {"setpoint": 40})
    assert answer.status == 200, answer
    message = client.get(timeout=5)
    assert json.loads(message.payload)["delta"]["setpoint"] == 40
    client.disconnect()
    # Presence follows the certificate's twin, whatever the client id.
    assert api(secure, "GET", "/api/v1/twins/%s" % twin).json()["lastSeen"]
    # Desired-state writes and configuration changes are in the audit log.
    assert api(secure, "PATCH", "/api/v1/tenant", {"strict": False}).status == 200
    entries = audit_actions(secure)
    desired = [e for e in entries if e["action"] == "twin.desired" and e["target"] == twin]
    assert desired and desired[0]["actor"] == "local-admin" and "setpoint" in desired[0]["detail"]
    assert any(e["action"] == "tenant.settings" and "strict false" in e["detail"] for e in entries)


def test_renewal_needs_the_current_certificate_and_keeps_the_twin(secure, tmp_path):
    twin = unique("pump")
    files = enroll(secure, twin, tmp_path / "dev")
    with open(files[1], "rb") as f:
        old = x509.load_pem_x509_certificate(f.read())
    https = "https://127.0.0.1:%d" % secure.ports["https"]
    renewed = cli("device", "renew", "--server", https, "--dir", str(tmp_path / "dev"))
    assert renewed.returncode == 0 and twin in renewed.stdout, renewed.stderr
    with open(files[1], "rb") as f:
        new = x509.load_pem_x509_certificate(f.read())
    assert new.serial_number != old.serial_number
    san = new.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:twinguard:default/%s" % twin]
    assert oct(os.stat(files[2]).st_mode & 0o777) == "0o600"
    client = device(secure, files)
    client.publish("tg/default/%s/telemetry" % twin, b'{"v": 1}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0
    client.disconnect()
    # Without a client certificate there is nothing to renew.
    context = ssl.create_default_context(cafile=files[0])
    context.check_hostname = False
    import urllib.request
    request = urllib.request.Request(https + "/api/v1/enroll/renew", data=b'{"csr": "x"}', method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, context=context, timeout=10)
        raise AssertionError("renewal without a certificate was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 401
    assert any(e["action"] == "device.renew" and e["target"] == twin for e in audit_actions(secure))
