"""Posture, trust score and tiers, rate limits and policy documents against the real server."""
import json
import time

from conftest import unique
from helpers import V5, V311, Client
from test_identity import SECURE, api, audit_actions, device, enroll

POLICY = {"minimum_firmware": "2.0.0", "require_secure_boot": True, "forbidden_services": ["telnet"]}
HEALTHY = {"firmware_version": "2.1.0", "firmware_hash": "sha256:" + "ab" * 32, "secure_boot": True,
           "open_services": ["ssh"], "patch_level": "2026-10"}


def test_out_of_date_firmware_quarantines_the_device_and_an_update_restores_it(server_factory, tmp_path):
    server = server_factory(expect=SECURE)
    assert api(server, "PUT", "/api/v1/posture-policy", POLICY).status == 200
    twin = unique("cnc")
    client = device(server, enroll(server, twin, tmp_path / "dev"))
    assert client.subscribe("tg/default/%s/commands/#" % twin, qos=1)[0].value == 1
    old = dict(HEALTHY, firmware_version="1.4.2")
    client.publish("tg/default/%s/posture" % twin, json.dumps(old).encode(), qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0
    state = api(server, "GET", "/api/v1/devices/%s" % twin).json()
    assert state["tier"] == "quarantined" and state["score"] <= 35, state
    assert "firmware 1.4.2 is older than the required 2.0.0" in " ".join(state["score_reasons"])
    # Quarantined: telemetry and commands are refused at once, posture still goes through.
    client.publish("tg/default/%s/telemetry" % twin, b'{"rpm": 1200}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0x87
    assert client.subscribe("tg/default/%s/commands/#" % twin, qos=1)[0].value == 0x87
    client.publish("tg/default/%s/posture" % twin, json.dumps(HEALTHY).encode(), qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0
    state = api(server, "GET", "/api/v1/devices/%s" % twin).json()
    assert state["tier"] == "trusted" and state["posture_findings"] == []
    client.publish("tg/default/%s/telemetry" % twin, b'{"rpm": 1200}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0
    changes = [e["detail"] for e in audit_actions(server) if e["action"] == "device.tier" and e["target"] == twin]
    assert any(d.startswith("trusted → quarantined") for d in changes) and any(d.startswith("quarantined → trusted") for d in changes)


def test_malformed_posture_and_posture_for_another_twin_are_refused(server_factory, tmp_path):
    server = server_factory(expect=SECURE)
    twin = unique("cnc")
    client = device(server, enroll(server, twin, tmp_path / "dev"))
    client.publish("tg/default/%s/posture" % twin, b"firmware 2.0", qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0x99
    client.publish("tg/default/other-twin/posture", json.dumps(HEALTHY).encode(), qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0x87


def test_operator_override_wins_until_cleared_and_needs_a_reason(server_factory, tmp_path):
    server = server_factory(expect=SECURE)
    twin = unique("pump")
    client = device(server, enroll(server, twin, tmp_path / "dev"))
    assert api(server, "PUT", "/api/v1/devices/%s/tier" % twin, {"tier": "restricted", "reason": " "}).status == 422
    assert api(server, "PUT", "/api/v1/devices/%s/tier" % twin, {"tier": "restricted", "reason": "maintenance"}).status == 200
    assert client.subscribe("tg/default/%s/desired" % twin, qos=1)[0].value == 0x87
    client.publish("tg/default/%s/telemetry" % twin, b'{"p": 1}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0
    assert api(server, "PUT", "/api/v1/devices/%s/tier" % twin, {"tier": None, "reason": "maintenance done"}).status == 200
    assert client.subscribe("tg/default/%s/desired" % twin, qos=1)[0].value == 1
    # Blocking closes the live connection.
    assert api(server, "PUT", "/api/v1/devices/%s/tier" % twin, {"tier": "blocked", "reason": "stolen"}).status == 200
    assert client.disconnected.wait(5)


def test_flooding_device_gets_quota_exceeded_then_is_disconnected(server_factory, tmp_path):
    server = server_factory(expect=SECURE, config_text="[security]\ndevice_messages_per_second = 5\n")
    twin = unique("flood")
    client = device(server, enroll(server, twin, tmp_path / "dev"))
    codes = []
    for index in range(60):
        if client.disconnected.is_set():
            break
        info = client.publish("tg/default/%s/telemetry" % twin, b'{"n": %d}' % index, qos=1, wait=False)
        try:
            codes.append(client.pubacks.get(timeout=2)[1].value)
        except Exception:
            break
    assert 0x97 in codes, codes
    assert client.disconnected.wait(5) and client.disconnect_reason.value == 0x97
    state = api(server, "GET", "/api/v1/devices/%s" % twin).json()
    assert any("over its rate limit" in reason for reason in state["score_reasons"]), state
    metrics = api(server, "GET", "/metrics").body.decode()
    line = [l for l in metrics.splitlines() if l.startswith("twinguard_mqtt_quota_exceeded_total")][0]
    assert int(float(line.split()[-1])) >= 1


def test_policy_documents_grant_extra_topics_without_code(server_factory, tmp_path):
    server = server_factory(expect=SECURE)
    twin = unique("gateway")
    client = device(server, enroll(server, twin, tmp_path / "dev"))
    client.publish("tg/default/line-3/telemetry", b'{"t": 1}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0x87
    bad = api(server, "PUT", "/api/v1/policies", {"items": [{"id": "x", "description": "", "appliesTo": {"twins": [twin]},
                                                           "publish": ["a/#/b"], "subscribe": []}]})
    assert bad.status == 422
    grant = {"id": "gateway-line-3", "description": "the gateway reports for line 3", "appliesTo": {"twins": [twin]},
             "publish": ["tg/{tenant}/line-3/telemetry"], "subscribe": []}
    assert api(server, "PUT", "/api/v1/policies", {"items": [grant]}).status == 200
    client.publish("tg/default/line-3/telemetry", b'{"t": 1}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0
    assert any(e["action"] == "policy.topics" for e in audit_actions(server))


def test_policy_documents_can_grant_to_a_group_of_devices(server_factory, tmp_path):
    server = server_factory(expect=SECURE)
    twin = unique("gw")
    client = device(server, enroll(server, twin, tmp_path / "dev"))
    assert api(server, "PATCH", "/api/v1/twins/%s" % twin, {"tags": {"group": "line-3-gateways"}}).status == 200
    grant = {"id": "line-3", "description": "gateways of line 3 report for the line", "appliesTo": {"groups": ["line-3-gateways"]},
             "publish": ["tg/{tenant}/line-3/#"], "subscribe": []}
    assert api(server, "PUT", "/api/v1/policies", {"items": [grant]}).status == 200
    client.publish("tg/default/line-3/events", b'{"e": 1}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value in (0, 0x10)  # 0x10: allowed, nobody subscribed
    other = device(server, enroll(server, unique("gw"), tmp_path / "other"))
    other.publish("tg/default/line-3/events", b'{"e": 1}', qos=1)
    assert other.pubacks.get(timeout=5)[1].value == 0x87


def test_device_passwords_only_where_the_tenant_allows_them(server_factory):
    server = server_factory(expect=SECURE)
    twin = unique("legacy-plc")
    refused = api(server, "POST", "/api/v1/devices/%s/password" % twin)
    assert refused.status == 403 and b"does not allow password login" in refused.body
    early = Client(server.mqtt_port, unique("plc"), V5, username="device/default/%s" % twin, password="anything")
    assert early.connack[1].value == 0x87
    assert api(server, "PATCH", "/api/v1/tenant", {"devicePasswords": True}).status == 200
    made = api(server, "POST", "/api/v1/devices/%s/password" % twin)
    assert made.status == 201, made
    username, password = made.json()["username"], made.json()["password"]
    client = Client(server.mqtt_port, unique("plc"), V5, username=username, password=password)
    assert client.connack[1].value == 0
    client.publish("tg/default/%s/telemetry" % twin, b'{"level": 3}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0
    client.publish("tg/default/other/telemetry", b'{"level": 3}', qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0x87
    time.sleep(0.3)
    state = api(server, "GET", "/api/v1/devices/%s" % twin).json()
    assert any("signs in with a password" in reason for reason in state["score_reasons"]), state
    client.disconnect()
    wrong = Client(server.mqtt_port, unique("plc"), V5, username=username, password="not the password")
    assert wrong.connack[1].value == 0x86
