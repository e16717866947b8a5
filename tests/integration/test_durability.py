"""Acknowledged telemetry survives SIGKILL; a damaged WAL tail is skipped at restart."""
import glob
import json
import os
import signal
import threading
import time

import paho.mqtt.client as mqtt
from httpclient import query, request

T0 = 1767225600000000000


def stored(server, twin, measurement="telemetry"):
    answer = query(server.http_port, "SELECT value FROM %s WHERE twin = '%s'" % (measurement, twin), epoch="ns")
    result = answer.json()["results"][0]
    assert "error" not in result, result
    return {row[0]: row[1] for s in result.get("series", []) for row in s["values"]}


def test_acknowledged_points_survive_sigkill_mid_stream(server_factory):
    server = server_factory("--allow-anonymous", name="kill")
    acked_mids = set()
    sent = {}
    stop = threading.Event()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="durability", protocol=mqtt.MQTTv5)

    # No lock around publish(): paho calls on_publish from its network thread while holding its own lock.
    def on_publish(c, userdata, mid, reason, properties):
        if reason.value == 0:
            acked_mids.add(mid)

    client.on_publish = on_publish
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", server.mqtt_port)
    client.loop_start()

    def mqtt_stream():
        i = 0
        while not stop.is_set() and i < 60000:
            ts = T0 + i * 1000000
            value = i / 7
            info = client.publish("tg/default/dur-mqtt/telemetry", json.dumps({"value": value, "ts": ts}), qos=1)
            sent[info.mid] = (ts, value)
            i += 1
            if i % 50 == 0:
                time.sleep(0.001)

    acked_http = {}

    def http_stream():
        batch = 0
        while not stop.is_set() and batch < 10000:
            points = [{"value": (batch * 100 + k) * 1.0001, "ts": T0 + (batch * 100 + k) * 1000000} for k in range(100)]
            try:
                answer = request(server.http_port, "POST", "/api/v1/twins/dur-http/telemetry", json_body=points, timeout=5)
            except Exception:
                return
            if answer.status == 204:
                for p in points:
                    acked_http[p["ts"]] = p["value"]
            batch += 1

    threads = [threading.Thread(target=mqtt_stream), threading.Thread(target=http_stream)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while time.time() < deadline and (len(acked_mids) < 2000 or len(acked_http) < 2000):
        time.sleep(0.05)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    stop.set()
    for t in threads:
        t.join(10)
    client.loop_stop()
    # Message ids are reused after 65535 publishes: stop well before that (the loop above ends early).
    expected_mqtt = dict(sent[mid] for mid in acked_mids if mid in sent)
    assert len(expected_mqtt) >= 2000 and len(acked_http) >= 2000

    server.stop()
    server.start()
    mqtt_points = stored(server, "dur-mqtt")
    missing = [ts for ts in expected_mqtt if ts not in mqtt_points]
    assert not missing, "%d acknowledged MQTT points lost, e.g. %s" % (len(missing), missing[:3])
    assert all(mqtt_points[ts] == value for ts, value in expected_mqtt.items())
    http_points = stored(server, "dur-http")
    assert all(http_points.get(ts) == value for ts, value in acked_http.items())
    assert "re-created from stored telemetry" in server.log() or "telemetry recovered" in server.log()


def test_a_damaged_wal_tail_is_skipped(server_factory):
    server = server_factory("--allow-anonymous", name="torn")
    points = [{"value": k + 0.25, "ts": T0 + k * 1000000000} for k in range(50)]
    assert request(server.http_port, "POST", "/api/v1/twins/torn/telemetry", json_body=points).status == 204
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    segments = sorted(glob.glob(os.path.join(server.data_dir, "telemetry", "wal", "*.wal")))
    assert segments
    with open(segments[-1], "ab") as f:
        f.write(b"\x40\x00\x00\x00\x12\x34\x56\x78partial record")
    server.stop()
    server.start()
    assert stored(server, "torn") == {p["ts"]: p["value"] for p in points}
    assert "damaged write-ahead log tail skipped" in server.log()
    # The server still takes writes afterwards, and a clean restart keeps everything.
    assert request(server.http_port, "POST", "/api/v1/twins/torn/telemetry", json_body={"value": 99.5, "ts": T0 - 1}).status == 204
    server.restart()
    assert len(stored(server, "torn")) == 51
