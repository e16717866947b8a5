"""Twin models, twins, desired/reported state and telemetry through the REST API and MQTT."""
import json
import time

import paho.mqtt.client as mqtt
import pytest
from conftest import unique
from helpers import Client
from httpclient import request

PUMP = {
    "id": "tg:test:Pump;1",
    "displayName": "Pump",
    "properties": [
        {"name": "speed", "schema": "double", "writable": True, "minimum": 0, "maximum": 3000, "unit": "rpm"},
        {"name": "mode", "schema": "enum", "values": ["auto", "manual"], "writable": True},
        {"name": "firmware", "schema": "string"},
    ],
    "telemetry": [
        {"name": "temperature", "schema": "double", "unit": "degC", "expectedRange": {"min": -20, "max": 120}},
        {"name": "running", "schema": "boolean"},
        {"name": "cycles", "schema": "integer"},
    ],
    "commands": [{"name": "reboot", "request": {"type": "object"}}],
    "relationships": [{"name": "feeds", "target": "tg:test:Pump;1"}],
}


def api(server, method, path, **kwargs):
    return request(server.http_port, method, "/api/v1" + path, **kwargs)


def upload_pump(server):
    answer = api(server, "POST", "/models", json_body=PUMP)
    assert answer.status in (200, 201), answer
    return answer


def test_model_upload_reports_every_mistake_with_its_path(server):
    bad = {
        "id": "Pump",
        "properties": [{"name": "speed", "schema": "float"}, {"name": "speed", "schema": "double", "minimum": "low"}],
        "telemetry": [{"name": "t", "schema": "double", "expectedRange": {"min": 5, "max": 1}}],
        "colour": "red",
    }
    answer = api(server, "POST", "/models", json_body=bad)
    assert answer.status == 422
    problem = answer.json()
    assert answer.headers["Content-Type"] == "application/problem+json"
    paths = {e["path"]: e["message"] for e in problem["errors"]}
    assert "expected 'scheme:name;version'" in paths["$.id"]
    assert "expected one of boolean, integer, double, string, enum, object" == paths["$.properties[0].schema"]
    assert "already declared at $.properties[0]" in paths["$.properties[1].name"]
    assert paths["$.properties[1].minimum"] == "expected a number"
    assert paths["$.telemetry[0].expectedRange"] == "expected min <= max"
    assert "unknown member" in paths["$.colour"]
    assert api(server, "POST", "/models", body=b"{not json").status == 422


def test_models_are_versioned_and_immutable(server):
    assert upload_pump(server).status == 201
    assert upload_pump(server).status == 200  # the same document again is fine
    changed = dict(PUMP, displayName="Other")
    answer = api(server, "POST", "/models", json_body=changed)
    assert answer.status == 409 and ";2" in answer.json()["detail"]
    child = {"id": "tg:test:BigPump;1", "extends": ["tg:test:Pump;1"], "telemetry": [{"name": "pressure", "schema": "double"}]}
    assert api(server, "POST", "/models", json_body=child).status == 201
    redeclare = {"id": "tg:test:Bad;1", "extends": ["tg:test:Pump;1"], "telemetry": [{"name": "running", "schema": "double"}]}
    assert api(server, "POST", "/models", json_body=redeclare).status == 422
    assert api(server, "GET", "/models/tg:test:Pump%3B1").json()["displayName"] == "Pump"
    assert api(server, "DELETE", "/models/tg:test:Pump%3B1").status == 409  # extended by BigPump
    assert [m["id"] for m in api(server, "GET", "/models").json()["items"]] == ["tg:test:BigPump;1", "tg:test:Pump;1"]


def test_twin_crud_with_etags(server):
    upload_pump(server)
    created = api(server, "POST", "/twins", json_body={"id": "pump-1", "model": "tg:test:Pump;1", "tags": {"site": "a"}})
    assert created.status == 201 and created.headers["ETag"] == '"1"'
    assert api(server, "POST", "/twins", json_body={"id": "pump-1"}).status == 409
    assert api(server, "POST", "/twins", json_body={"id": "bad id!"}).status == 422
    assert api(server, "POST", "/twins", json_body={"id": "x", "model": "tg:test:Nope;1"}).status == 404
    assert api(server, "GET", "/twins/nope").status == 404
    twin = api(server, "GET", "/twins/pump-1")
    assert twin.json()["tags"] == {"site": "a"}
    etag = twin.headers["ETag"]
    patched = api(server, "PATCH", "/twins/pump-1", json_body={"tags": {"site": "b"}}, headers={"If-Match": etag})
    assert patched.status == 200 and patched.headers["ETag"] == '"2"'
    stale = api(server, "PATCH", "/twins/pump-1", json_body={"tags": {"site": "c"}}, headers={"If-Match": etag})
    assert stale.status == 412 and stale.json()["code"] == "precondition_failed"
    api(server, "POST", "/twins", json_body={"id": "pump-2", "model": "tg:test:Pump;1"})
    related = api(server, "PATCH", "/twins/pump-1", json_body={"relationships": [{"name": "feeds", "target": "pump-2"}]})
    assert related.status == 200
    assert api(server, "PATCH", "/twins/pump-1", json_body={"relationships": [{"name": "owns", "target": "pump-2"}]}).status == 422
    page = api(server, "GET", "/twins?limit=1").json()
    assert [t["id"] for t in page["items"]] == ["pump-1"] and page["next"] == "pump-1"
    assert [t["id"] for t in api(server, "GET", "/twins?limit=1&cursor=pump-1").json()["items"]] == ["pump-2"]
    assert api(server, "DELETE", "/twins/pump-2", headers={"If-Match": '"7"'}).status == 412
    assert api(server, "DELETE", "/twins/pump-2").status == 204
    assert api(server, "GET", "/twins/pump-2").status == 404


def test_desired_delta_reaches_the_device_and_clears_when_reported(server):
    upload_pump(server)
    api(server, "POST", "/twins", json_body={"id": "pump-7", "model": "tg:test:Pump;1"})
    assert api(server, "PATCH", "/twins/pump-7/desired", json_body={"firmware": "2.0"}).status == 422  # not writable
    assert api(server, "PATCH", "/twins/pump-7/desired", json_body={"speed": 5000}).status == 422  # above maximum
    assert api(server, "PATCH", "/twins/pump-7/desired", json_body={"mode": "turbo"}).status == 422
    answer = api(server, "PATCH", "/twins/pump-7/desired", json_body={"speed": 1200, "mode": "auto"})
    assert answer.status == 200 and answer.json()["delta"] == {"mode": "auto", "speed": 1200}
    # A device that connects later gets the delta as a retained message.
    device = Client(server.mqtt_port, client_id=unique("pump"))
    device.subscribe("tg/default/pump-7/desired", qos=1)
    message = device.get()
    assert json.loads(message.payload)["delta"] == {"mode": "auto", "speed": 1200}
    device.publish("tg/default/pump-7/reported", json.dumps({"speed": 1200, "firmware": "1.4"}), qos=1)
    deadline = time.time() + 5
    while time.time() < deadline:
        twin = api(server, "GET", "/twins/pump-7").json()
        if twin["delta"] == {"mode": "auto"}:
            break
        time.sleep(0.05)
    assert twin["delta"] == {"mode": "auto"}
    assert twin["reported"]["speed"]["value"] == 1200 and twin["reported"]["speed"]["version"] == 1
    update = json.loads(device.get().payload)
    assert update["delta"] == {"mode": "auto"}
    device.disconnect()


def test_telemetry_over_http_is_checked_against_the_model(server):
    upload_pump(server)
    api(server, "POST", "/twins", json_body={"id": "pump-3", "model": "tg:test:Pump;1"})
    ok = api(server, "POST", "/twins/pump-3/telemetry",
             json_body=[{"temperature": 40.5, "running": True, "cycles": 3, "ts": "2026-01-01T00:00:00Z"},
                        {"temperature": 41, "cycles": 4, "ts": 1767225601000000000}])
    assert ok.status == 204, ok
    flagged = api(server, "POST", "/twins/pump-3/telemetry", json_body={"temperature": 150.0, "ts": 1767225602000000000})
    assert flagged.status == 200 and "outside the expected range" in flagged.json()["flagged"][0]["message"]
    unknown = api(server, "POST", "/twins/pump-3/telemetry", json_body={"pressure": 1.0})
    assert unknown.status == 422 and "unknown field 'pressure'" in unknown.json()["errors"][0]["message"]
    wrong = api(server, "POST", "/twins/pump-3/telemetry", json_body=[{"running": 1.0}, {"cycles": "many"}])
    messages = [e["message"] for e in wrong.json()["errors"]]
    assert wrong.status == 422 and "must be boolean" in messages[0] and len(messages) == 2
    read = api(server, "GET", "/twins/pump-3/telemetry?field=temperature&from=2026-01-01T00:00:00Z&to=2026-01-01T00:01:00Z")
    assert [p["value"] for p in read.json()["series"][0]["points"]] == [40.5, 41, 150]
    mean = api(server, "GET", "/twins/pump-3/telemetry?field=temperature&from=2026-01-01T00:00:00Z"
                              "&to=2026-01-01T00:01:00Z&every=1m&agg=mean")
    assert mean.json()["series"][0]["points"] == [{"time": "2026-01-01T00:00:00Z", "value": pytest.approx(77.1666666)}]
    twin = api(server, "GET", "/twins/pump-3").json()
    assert twin["telemetry"]["temperature"]["value"] == 150 and twin["lastSeen"]
    assert api(server, "GET", "/twins/pump-3/telemetry?field=temperature&every=soon").status == 400
    assert api(server, "GET", "/twins/pump-3/telemetry").status == 400


def test_mqtt_telemetry_json_and_line_protocol_with_reason_codes(server):
    upload_pump(server)
    api(server, "POST", "/twins", json_body={"id": "pump-9", "model": "tg:test:Pump;1"})
    device = Client(server.mqtt_port, client_id=unique("dev"))
    info = device.publish("tg/default/pump-9/telemetry", json.dumps({"temperature": 20.5, "ts": 1767225600000000000}), qos=1)
    assert info.rc == 0
    device.publish("tg/default/pump-9/telemetry", "pump temperature=21.5,cycles=7i 1767225601000000000", qos=1)
    acks = []
    device.client.on_publish = lambda c, u, mid, reason, props: acks.append(reason)
    device.publish("tg/default/pump-9/telemetry", json.dumps({"pressure": 3}), qos=1)
    device.publish("tg/other/pump-9/telemetry", json.dumps({"temperature": 3}), qos=1)
    assert [r.value for r in acks] == [0x99, 0x87]
    # An open twin is created on first telemetry and learns its fields.
    device.publish("tg/default/sensor-1/telemetry", json.dumps({"humidity": 41.5, "door": "open"}), qos=1)
    twin = api(server, "GET", "/twins/sensor-1").json()
    assert twin["learnedFields"] == {"door": "string", "humidity": "double"}
    device.publish("tg/default/sensor-1/telemetry", json.dumps({"door": 1}), qos=1)
    assert acks[-1].value == 0x99
    read = api(server, "GET", "/twins/pump-9/telemetry?field=temperature&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z").json()
    assert sorted(p["value"] for s in read["series"] for p in s["points"]) == [20.5, 21.5]
    device.disconnect()


def test_ingest_counts_in_metrics(server):
    api(server, "POST", "/twins/m-1/telemetry", json_body={"v": 1.0})
    text = request(server.http_port, "GET", "/metrics").body.decode()
    line = [l for l in text.splitlines() if l.startswith("twinguard_ingest_points_total")][0]
    assert float(line.split()[-1]) >= 1
    assert "twinguard_wal_fsync_seconds_bucket" in text and "twinguard_timeseries_series" in text


def test_commands_round_trip_with_correlation_data_and_time_out(server, tmp_path):
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    upload_pump(server)
    api(server, "POST", "/twins", json_body={"id": "pump-c", "model": "tg:test:Pump;1"})
    offline = api(server, "POST", "/twins/pump-c/commands/reboot", json_body={"delay": 1})
    assert offline.status == 409 and offline.json()["code"] == "device_offline"
    # The twin's own device, with its certificate: only its identity makes the twin online.
    from test_identity import device as certified, enroll
    device = certified(server, enroll(server, "pump-c", tmp_path / "dev"), client_id="pump-c")
    device.subscribe("tg/default/pump-c/commands/+", qos=1)

    def answer(client, userdata, message):
        if message.topic.endswith("/response"):
            return
        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = message.properties.CorrelationData
        request_body = json.loads(message.payload)
        client.publish(message.properties.ResponseTopic, json.dumps({"ok": True, "delay": request_body["delay"]}), qos=1,
                       properties=props)

    device.client.on_message = answer
    done = api(server, "POST", "/twins/pump-c/commands/reboot", json_body={"delay": 5})
    assert done.status == 200, done
    assert done.json()["response"] == {"ok": True, "delay": 5} and done.json()["status"] == "completed"
    assert api(server, "POST", "/twins/pump-c/commands/selfdestruct", json_body={}).status == 404
    assert api(server, "POST", "/twins/pump-c/commands/reboot", json_body=[1]).status == 422
    device.client.on_message = None
    late = api(server, "POST", "/twins/pump-c/commands/reboot?timeout=300ms", json_body={"delay": 1})
    assert late.status == 504 and late.json()["code"] == "command_timed_out"
    history = api(server, "GET", "/twins/pump-c/commands").json()["items"]
    assert [c["status"] for c in history] == ["timed_out", "completed", "device_offline"]
    assert history[1]["requestedBy"] == "anonymous"
    device.disconnect()


def test_twin_queries_with_relationship_traversal(server):
    def twin(id, rels=(), tags=None):
        body = {"id": id, "tags": tags or {}, "relationships": [{"name": "contains", "target": t} for t in rels]}
        assert api(server, "POST", "/twins", json_body=body).status == 201
    # site -> line -> machine -> sensor, created leaf first (relationship targets must exist).
    twin("sensor-1", tags={"kind": "vibration"})
    twin("machine-1", ["sensor-1"], {"kind": "cnc"})
    twin("machine-2", [], {"kind": "cnc"})
    twin("line-1", ["machine-1", "machine-2"], {"kind": "line"})
    twin("site-1", ["line-1"], {"kind": "site", "name": "plant-1"})
    api(server, "PATCH", "/twins/machine-1/reported", json_body={"temperature": 91.5})
    api(server, "PATCH", "/twins/machine-2/reported", json_body={"temperature": 60})

    def run(q):
        answer = api(server, "POST", "/query", json_body={"query": q})
        assert answer.status == 200, answer
        return answer.json()["items"]

    assert [t["id"] for t in run("SELECT * FROM twins WHERE tags.kind = 'cnc' AND reported.temperature > 80")] == ["machine-1"]
    assert run("SELECT m.id FROM twins MATCH (s)-[:contains*1..3]->(m) WHERE s.tags.name = 'plant-1' AND m.tags.kind = 'cnc' "
               "ORDER BY m.reported.temperature DESC") == [{"m.id": "machine-1"}, {"m.id": "machine-2"}]
    assert run("SELECT m.id AS id FROM twins MATCH (s)-[:contains*3]->(m) WHERE s.id = 'site-1'") == [{"id": "sensor-1"}]
    assert run("SELECT id FROM twins MATCH (s)-[:contains]->(m) WHERE s.id = 'site-1'") == [{"id": "line-1"}]
    assert run("SELECT COUNT(*) FROM twins WHERE IS_DEFINED(reported.temperature)") == [{"count": 2}]
    assert run("SELECT id FROM twins WHERE NOT IS_DEFINED(reported.temperature) AND tags.kind IN ('site', 'line') "
               "ORDER BY id LIMIT 1") == [{"id": "line-1"}]
    bad = api(server, "GET", "/query?q=SELECT+*+FROM+twins+WHERE+reported.t+%3E")
    assert bad.status == 400
    assert "at character 39: found end of query, expected a string, number, true, false or null" in bad.json()["detail"]


def test_pipelined_telemetry_is_acknowledged_in_order_with_each_refusal(server):
    """Many QoS 1 messages in flight reach the store together; each still gets its own PUBACK, in order."""
    upload_pump(server)
    api(server, "POST", "/twins", json_body={"id": "pump-p", "model": "tg:test:Pump;1"})
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=unique("pipe"), protocol=mqtt.MQTTv5)
    acks = []
    client.on_publish = lambda c, u, mid, reason, props: acks.append((mid, reason.value))
    client.max_inflight_messages_set(200)
    client.connect("127.0.0.1", server.mqtt_port)
    client.loop_start()
    mids = []
    for i in range(120):
        payload = {"pressure": 1} if i == 60 else {"temperature": 20 + i / 4, "ts": 1767225600000000000 + i}
        mids.append(client.publish("tg/default/pump-p/telemetry", json.dumps(payload), qos=1).mid)
    deadline = time.time() + 10
    while len(acks) < 120 and time.time() < deadline:
        time.sleep(0.02)
    client.loop_stop()
    assert [mid for mid, _ in acks] == mids
    assert [code for _, code in acks] == [0x99 if i == 60 else 0 for i in range(120)]
    read = api(server, "GET", "/twins/pump-p/telemetry?field=temperature&from=1767225600000000000&to=1767225600000000200").json()
    assert len(read["series"][0]["points"]) == 119
