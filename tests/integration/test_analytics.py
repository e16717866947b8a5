"""Analytics against the real server: live anomaly detection, alert rules with webhooks, what-if
simulation and calibration, and the offline `twinguard eval` commands."""
import hashlib
import hmac
import http.server
import json
import math
import os
import random
import subprocess
import threading
import time

from conftest import BIN, unique
from httpclient import request

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
T0 = 1_780_000_000_000_000_000  # ns, a fixed start for generated histories


def api(server, method, path, **kwargs):
    return request(server.http_port, method, "/api/v1" + path, **kwargs)


def wait_for(predicate, timeout=10, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def metric(server, name):
    text = request(server.http_port, "GET", "/metrics").body.decode()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return 0.0


def post_points(server, twin, points):
    for start in range(0, len(points), 500):
        answer = api(server, "POST", "/twins/%s/telemetry" % twin, json_body=points[start:start + 500])
        assert answer.status in (200, 204), answer


MACHINE = {
    "id": "tg:test:Machine;1",
    "telemetry": [
        {"name": "temperature", "schema": "double", "anomaly": {"warmUp": 50},
         "alerts": [{"name": "hot", "kind": "threshold", "above": 80, "hysteresis": 5, "severity": "critical"},
                    {"name": "heating-fast", "kind": "rate", "above": 5},
                    {"name": "silent", "kind": "absence", "seconds": 2}]},
        {"name": "current", "schema": "double", "anomaly": {}},
        {"name": "label", "schema": "string"},
    ],
    "stateModel": {"kind": "thermal", "parameters": {"tau": 1800, "gain": 0.5}, "inputs": {"ambient": 25},
                   "stateField": "temperature", "inputFields": {"power": "power", "ambient": "ambient"},
                   "thresholds": [{"name": "overheat", "above": 60, "failure": True}]},
}


def machine(server, twin=None):
    assert api(server, "POST", "/models", json_body=MACHINE).status in (200, 201)
    twin = twin or unique("m")
    assert api(server, "POST", "/twins", json_body={"id": twin, "model": MACHINE["id"]}).status == 201
    return twin


def test_model_anomaly_and_alert_settings_are_checked(server):
    bad = {"id": "tg:test:Bad;1", "telemetry": [
        {"name": "a", "schema": "string", "anomaly": {"sensitivity": 50, "warmUp": 2.5, "colour": 1}},
        {"name": "b", "schema": "double", "alerts": [{"name": "x", "kind": "threshold"}, {"name": "x", "kind": "absence"},
                                                      {"kind": "sometimes"}]}],
        "stateModel": {"kind": "nuclear", "parameters": {"tau": "long"}, "thresholds": [{"name": "t"}]}}
    answer = api(server, "POST", "/models", json_body=bad)
    assert answer.status == 422
    errors = {e["path"]: e["message"] for e in answer.json()["errors"]}
    assert "needs a numeric field" in errors["$.telemetry[0].anomaly"]
    assert errors["$.telemetry[0].anomaly.sensitivity"] == "expected a number from 0.1 to 10"
    assert errors["$.telemetry[0].anomaly.warmUp"] == "expected an integer"
    assert "unknown member" in errors["$.telemetry[0].anomaly.colour"]
    assert errors["$.telemetry[1].alerts[0]"] == "expected above and/or below"
    assert "duplicate rule name 'x'" in errors["$.telemetry[1].alerts[1].name"]
    assert "required: the seconds" in errors["$.telemetry[1].alerts[1].seconds"]
    assert errors["$.telemetry[1].alerts[2].kind"] == "expected threshold, rate or absence"
    assert "expected one of thermal, wear, tank, battery, queue" == errors["$.stateModel.kind"]
    assert errors["$.stateModel.parameters.tau"] == "expected a number"
    assert errors["$.stateModel.thresholds[0]"] == "expected above or below"


def test_live_detection_flags_a_spike_and_a_broken_relation_not_the_noise(server):
    twin = machine(server)
    rng = random.Random(1)
    points = []
    for i in range(600):
        current = rng.uniform(8, 12)  # the temperature follows the current closely
        points.append({"temperature": 40 + current + rng.gauss(0, 0.1), "current": current, "ts": T0 + i * 10**9})
    post_points(server, twin, points)
    wait_for(lambda: metric(server, "twinguard_analytics_values_scored_total") >= 1200, what="values scored")
    assert api(server, "GET", "/twins/%s/anomalies" % twin).json()["anomalies"] == []

    post_points(server, twin, [{"temperature": 75.0, "current": 10.0, "ts": T0 + 600 * 10**9}])
    found = wait_for(lambda: api(server, "GET", "/twins/%s/anomalies" % twin).json()["anomalies"], what="an anomaly")
    spike = found[0]
    assert spike["field"] == "temperature" and spike["kind"] == "spike" and spike["score"] >= 0.5
    assert spike["value"] == 75.0 and 40 < spike["expected"][0] < spike["expected"][1] < 60
    assert spike["severity"] in ("minor", "major", "critical") and spike["at"].startswith("2026-")
    assert metric(server, "twinguard_analytics_anomalies_total") >= 1
    assert metric(server, "twinguard_analytics_values_shed_total") == 0
    assert metric(server, "twinguard_analytics_detectors") == 2

    # Each value within its usual range, but the temperature no longer fits the current: a broken relation.
    later = []
    for i in range(601, 700):
        current = rng.uniform(8, 12)
        later.append({"temperature": 40 + current + rng.gauss(0, 0.1), "current": current, "ts": T0 + i * 10**9})
    later.append({"temperature": 48.2, "current": 11.9, "ts": T0 + 700 * 10**9})
    post_points(server, twin, later)
    relation = wait_for(lambda: [a for a in api(server, "GET", "/twins/%s/anomalies" % twin).json()["anomalies"] if a["kind"] == "relation"],
                        what="a broken relation")
    assert relation[0]["value"] == 48.2 and relation[0]["field"] == "temperature"
    assert relation[0]["expected"][0] < 51.9 < relation[0]["expected"][1]
    assert api(server, "GET", "/twins/nope/anomalies").status == 404


def test_open_models_are_watched_only_when_the_tenant_opts_in(server):
    twin = unique("open")
    post_points(server, twin, [{"x": float(i % 7), "ts": T0 + i * 10**9} for i in range(50)])
    time.sleep(0.3)
    assert metric(server, "twinguard_analytics_values_scored_total") == 0
    answer = api(server, "PATCH", "/tenant", json_body={"anomalyDetection": True})
    assert answer.status == 200 and answer.json()["anomalyDetection"] is True
    post_points(server, twin, [{"x": float(i % 7), "ts": T0 + (100 + i) * 10**9} for i in range(50)])
    wait_for(lambda: metric(server, "twinguard_analytics_values_scored_total") == 50, what="open-model values scored")
    audit = api(server, "GET", "/audit?limit=1000").json()
    assert any("anomaly detection on open models on" in e["detail"] for e in audit["entries"])


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook endpoint that fails its first request with 503, then records every delivery."""
    received = []
    failures_left = 1

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.failures_left > 0:
            Receiver.failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        Receiver.received.append((dict(self.headers), body, time.time()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_alert_rules_fire_clear_deduplicate_and_reach_a_signed_webhook(server_factory):
    # The receiver is on loopback, which webhooks may reach only when the administrator allows it.
    server = server_factory("--allow-anonymous", config_text="[webhooks]\nallow_private_addresses = true\n")
    receiver = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        hook = api(server, "POST", "/webhooks", json_body={"url": "http://127.0.0.1:%d/hook" % receiver.server_port})
        assert hook.status == 201
        secret = hook.json()["secret"]
        assert secret.startswith("whsec_")
        listed = api(server, "GET", "/webhooks").json()["webhooks"]
        assert len(listed) == 1 and "secret" not in listed[0]
        assert oct(os.stat(os.path.join(server.data_dir, "webhooks.json")).st_mode & 0o777) == "0o600"
        assert api(server, "POST", "/webhooks", json_body={"url": "ftp://x"}).status == 400

        twin = machine(server)
        now = time.time_ns() - 10 * 10**9  # in the past, so that later points (stamped on arrival) come after them
        values = [70, 85, 82, 76, 74, 90]  # fires at 85; 76 is within the hysteresis; clears at 74; 90 again
        post_points(server, twin, [{"temperature": float(v), "ts": now + i * 10**9} for i, v in enumerate(values)])
        alerts = wait_for(lambda: [a for a in api(server, "GET", "/alerts?twin=" + twin).json()["alerts"]
                                   if a["rule"] == "hot" and a["occurrences"] == 2], what="the de-duplicated alert")
        hot = alerts[0]
        assert hot["status"] == "open" and hot["active"] is True and hot["severity"] == "critical"
        assert hot["value"] == 85 and hot["lastValue"] == 90 and "above 80" in hot["message"]
        rate = [a for a in api(server, "GET", "/alerts?twin=" + twin).json()["alerts"] if a["rule"] == "heating-fast"]
        assert len(rate) == 1 and rate[0]["value"] == 15  # 70 → 85 in one second

        acked = api(server, "POST", "/alerts/%s/acknowledge" % hot["id"], json_body={"note": "on my way"})
        assert acked.status == 200 and acked.json()["status"] == "acknowledged" and acked.json()["note"] == "on my way"
        assert api(server, "POST", "/alerts/%s/acknowledge" % hot["id"]).status == 400
        resolved = api(server, "POST", "/alerts/%s/resolve" % hot["id"])
        assert resolved.status == 200 and resolved.json()["status"] == "resolved"
        assert api(server, "GET", "/alerts?status=resolved").json()["alerts"][0]["id"] == hot["id"]
        assert api(server, "POST", "/alerts/al_nope/resolve").status == 404
        assert api(server, "GET", "/alerts?status=sideways").status == 400
        audit = api(server, "GET", "/audit?limit=1000").json()["entries"]
        assert {"alert.acknowledge", "alert.resolve", "webhook.create"} <= {e["action"] for e in audit}

        # Absence: no temperature for 2 s raises an alert; the next value clears it.
        silent = wait_for(lambda: [a for a in api(server, "GET", "/alerts?twin=" + twin).json()["alerts"] if a["rule"] == "silent"],
                          timeout=8, what="the absence alert")
        assert silent[0]["kind"] == "absence" and "no temperature" in silent[0]["message"]
        post_points(server, twin, [{"temperature": 60.0}])
        wait_for(lambda: not api(server, "GET", "/alerts/" + silent[0]["id"]).json()["active"], what="absence cleared")

        # Webhooks: the first delivery got a 503 and was retried; every body is signed.
        wait_for(lambda: len(Receiver.received) >= 5, timeout=15, what="webhook deliveries")
        kinds = set()
        for headers, body, _ in Receiver.received:
            timestamp = headers["X-TwinGuard-Timestamp"]
            expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            assert headers["X-TwinGuard-Signature"] == expected
            event = json.loads(body)
            assert event["type"] == headers["X-TwinGuard-Event"] and event["tenant"] == "default"
            kinds.add(event["type"])
        assert {"alert.fired", "alert.cleared", "alert.acknowledged", "alert.resolved"} <= kinds
        assert metric(server, "twinguard_webhook_failed_attempts_total") >= 1
        assert metric(server, "twinguard_webhook_deliveries_total") >= 5
        hook_id = hook.json()["id"]
        assert api(server, "DELETE", "/webhooks/" + hook_id).status == 204
        assert api(server, "DELETE", "/webhooks/" + hook_id).status == 404

        # Alerts are saved at shutdown and read back at start; the unresolved one still de-duplicates.
        before = api(server, "GET", "/alerts?twin=" + twin).json()["alerts"]
        server.restart()
        after = api(server, "GET", "/alerts?twin=" + twin).json()["alerts"]
        assert [(a["id"], a["status"], a["occurrences"]) for a in after] == [(a["id"], a["status"], a["occurrences"]) for a in before]
        later = time.time_ns()
        post_points(server, twin, [{"temperature": 10.0, "ts": later}, {"temperature": 99.0, "ts": later + 10**9}])
        previous = [a for a in before if a["rule"] == "heating-fast"][0]
        rate = wait_for(lambda: [a for a in api(server, "GET", "/alerts?twin=" + twin).json()["alerts"]
                                 if a["rule"] == "heating-fast" and a["occurrences"] == previous["occurrences"] + 1],
                        what="the restored alert counting again")
        assert rate[0]["id"] == previous["id"]
        # The resolved "hot" alert stays closed: 99 raises a new one.
        hot_alerts = [a for a in api(server, "GET", "/alerts?twin=" + twin).json()["alerts"] if a["rule"] == "hot"]
        assert len(hot_alerts) == 2 and hot_alerts[0]["status"] == "open" and hot_alerts[1]["status"] == "resolved"
    finally:
        receiver.shutdown()


def test_simulation_matches_the_closed_form_and_is_deterministic(server):
    twin = machine(server)
    post_points(server, twin, [{"temperature": 30.0}])
    answer = api(server, "POST", "/twins/%s/simulate" % twin,
                 json_body={"horizon": 14400, "step": 10, "inputs": {"power": 80}, "points": 50})
    assert answer.status == 200, answer
    result = answer.json()
    steady = 25 + 0.5 * 80
    for t, value in zip(result["times"], result["values"]):
        assert abs(value - (steady + (30 - steady) * math.exp(-t / 1800))) < 1e-6
    assert result["initial"] == 30 and result["variable"] == "temperature"
    overheat = result["crossings"][0]
    assert overheat["name"] == "overheat" and abs(overheat["after"] - 1800 * math.log(35 / 5)) <= 10
    assert result["timeToFailure"] == overheat["after"]

    year = {"horizon": 365 * 86400, "step": 60, "inputs": {"power": 10}, "noise": {"ambient": 1.5}, "seed": 3}
    started = time.time()
    first = api(server, "POST", "/twins/%s/simulate" % twin, json_body=year)
    print("a year at 1-minute steps over HTTP: %.3f s" % (time.time() - started))
    second = api(server, "POST", "/twins/%s/simulate" % twin, json_body=year)
    assert first.status == 200 and first.json()["steps"] == 525600
    assert first.json()["values"] == second.json()["values"]
    other = api(server, "POST", "/twins/%s/simulate" % twin, json_body=dict(year, seed=4)).json()
    assert other["values"] != first.json()["values"]

    bad = api(server, "POST", "/twins/%s/simulate" % twin, json_body={"horizon": 60, "inputs": {"speed": 1}})
    assert bad.status == 400 and "'speed' is not an input of a thermal model" in bad.json()["detail"]
    assert api(server, "POST", "/twins/%s/simulate" % twin, json_body={"horizon": -1}).status == 400
    assert api(server, "POST", "/twins/%s/simulate" % twin, json_body={"step": 1}).status == 400
    plain = unique("plain")
    post_points(server, plain, [{"x": 1.0}])
    none = api(server, "POST", "/twins/%s/simulate" % plain, json_body={"horizon": 60})
    assert none.status == 422 and none.json()["code"] == "no_state_model"


def test_calibration_recovers_the_parameters_of_the_history(server):
    twin = machine(server)
    temperature, points = 20.0, []
    for i in range(1500):
        power = 100.0 if (i // 200) % 2 == 0 else 10.0
        ambient = 18 + 3 * math.sin(i / 150)
        points.append({"temperature": temperature, "power": power, "ambient": ambient, "ts": T0 + i * 30 * 10**9})
        steady = ambient + 0.3 * power
        temperature = steady + (temperature - steady) * math.exp(-30 / 1200)
    # The recorded inputs are telemetry fields of the twin's model.
    model = dict(MACHINE, id="tg:test:Heated;1", telemetry=MACHINE["telemetry"] + [
        {"name": "power", "schema": "double"}, {"name": "ambient", "schema": "double"}])
    assert api(server, "POST", "/models", json_body=model).status in (200, 201)
    assert api(server, "PATCH", "/twins/" + twin, json_body={"model": model["id"]}).status == 200
    post_points(server, twin, points)
    fit = api(server, "POST", "/twins/%s/calibrate" % twin,
              json_body={"from": "2026-05-28T00:00:00Z", "to": "2026-06-30T00:00:00Z"})
    assert fit.status == 200, fit
    body = fit.json()
    assert abs(body["parameters"]["tau"] - 1200) / 1200 < 0.05 and abs(body["parameters"]["gain"] - 0.3) < 0.02
    assert body["samples"] == 1500 and body["rSquared"] > 0.99
    empty = api(server, "POST", "/twins/%s/calibrate" % twin, json_body={"from": "2020-01-01T00:00:00Z", "to": "2020-01-02T00:00:00Z"})
    assert empty.status == 422 and "at least 10" in empty.json()["detail"]


def test_eval_anomalies_scores_the_shipped_set_and_beats_the_baselines(tmp_path):
    data = os.path.join(ROOT, "data", "anomaly-set")
    out = str(tmp_path / "scored")
    run = subprocess.run([BIN, "eval", "anomalies", data, "--out", out, "--labels", os.path.join(data, "labels.json"), "--compare"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "[10/10]" in run.stderr
    scores = {}
    for line in run.stdout.splitlines():
        if line.startswith("detector "):
            current = line.split()[1].rstrip(":")
        if "NAB standard at its best threshold" in line:
            scores[current] = float(line.split(":")[1].split()[0])
    assert set(scores) == {"twinguard", "zscore", "ewma"}
    assert scores["twinguard"] > max(scores["zscore"], scores["ewma"]) + 20, scores
    with open(os.path.join(out, "server", "cpu_utilisation.csv")) as f, open(os.path.join(data, "server", "cpu_utilisation.csv")) as g:
        scored, original = f.read().splitlines(), g.read().splitlines()
    assert scored[0] == "timestamp,value,anomaly_score" and len(scored) == len(original)
    assert all(s.rsplit(",", 1)[0] == o for s, o in zip(scored[1:], original[1:]))
    missing = subprocess.run([BIN, "eval", "anomalies", str(tmp_path / "nothing"), "--out", out], capture_output=True, text=True)
    assert missing.returncode == 1 and "is not a directory" in missing.stderr


def test_eval_rul_trains_predicts_and_scores(tmp_path):
    data = str(tmp_path / "turbofan")
    subprocess.run(["python3", os.path.join(ROOT, "scripts", "turbofan-set", "generate.py"), data, "--units", "40"], check=True)
    prediction = str(tmp_path / "pred.txt")
    model = str(tmp_path / "model.json")
    run = subprocess.run([BIN, "eval", "rul", "--train", data + "/train.txt", "--test", data + "/test.txt", "--out", prediction,
                          "--truth", data + "/truth.txt", "--save-model", model], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "operating regime" in run.stderr and "validation" in run.stderr
    predictions = [float(x) for x in open(prediction).read().split()]
    truth = [float(x) for x in open(data + "/truth.txt").read().split()]
    assert len(predictions) == 40 and all(0 <= p <= 125 for p in predictions)
    rmse = math.sqrt(sum((p - t) ** 2 for p, t in zip(predictions, truth)) / len(truth))
    assert "RMSE %.2f" % rmse in run.stdout and "PHM08 score" in run.stdout
    mean = sum(truth) / len(truth)
    assert rmse < 0.6 * math.sqrt(sum((mean - t) ** 2 for t in truth) / len(truth)), rmse
    metadata = json.load(open(model))["metadata"]
    assert metadata["units"] == 40 and metadata["cap"] == 125 and metadata["features"][-1] == "cycle"
    bad = tmp_path / "bad.txt"
    bad.write_text("1 1 0 0 100 x\n")
    failed = subprocess.run([BIN, "eval", "rul", "--train", str(bad), "--test", str(bad), "--out", prediction], capture_output=True, text=True)
    assert failed.returncode == 1 and "bad.txt line 1: 'x' is not a number" in failed.stderr


def test_live_rul_from_a_model_trained_over_the_api_raises_maintenance(server, tmp_path):
    from test_streams import close_stream, open_stream
    data = str(tmp_path / "turbofan")
    subprocess.run(["python3", os.path.join(ROOT, "scripts", "turbofan-set", "generate.py"), data, "--units", "24", "--seed", "9"], check=True)
    sensors = ["s%d" % i for i in range(1, 22)]
    engine = {"id": "tg:test:Engine;1",
              "telemetry": [{"name": n, "schema": "double"} for n in sensors + ["altitude", "mach", "throttle"]],
              "rul": {"sensors": sensors, "settings": ["altitude", "mach", "throttle"], "maintenanceBelow": 30}}
    assert api(server, "POST", "/models", json_body=engine).status in (200, 201)
    model = "/models/tg%3Atest%3AEngine%3B1"
    assert api(server, "GET", model + "/rul").json()["metadata"] is None
    trained = api(server, "POST", model + "/rul/train?trees=60", body=open(data + "/train.txt").read(), headers={"Content-Type": "text/plain"},
                  timeout=600)
    assert trained.status == 201, trained
    assert trained.json()["units"] == 24 and trained.json()["sensorColumns"] == 21
    assert api(server, "GET", model + "/rul").json()["metadata"]["trees"] == trained.json()["trees"]
    assert api(server, "POST", model + "/rul/train", body="1 1 0 0 100 x\n").status == 400
    assert api(server, "PUT", model + "/rul", json_body={"metadata": 1}).status == 400

    # Replay the first training unit (run to failure) as a live engine: the RUL falls, maintenance is called.
    twin = unique("engine")
    assert api(server, "POST", "/twins", json_body={"id": twin, "model": engine["id"]}).status == 201
    none = api(server, "GET", "/twins/%s/rul" % twin).json()
    assert none["estimate"] is None and "needs a trained RUL model" in none["reason"]
    events, connection = open_stream(server.http_port, "/api/v1/events/stream?kinds=maintenance&twin=" + twin)
    rows = [line.split() for line in open(data + "/train.txt") if line.split()[0] == "1"]
    points = [dict({n: float(v) for n, v in zip(sensors, row[5:])}, altitude=float(row[2]), mach=float(row[3]), throttle=float(row[4]),
                   ts=T0 + i * 10**9) for i, row in enumerate(rows)]
    post_points(server, twin, points)
    estimate = wait_for(lambda: (lambda e: e if e and e["cycles"] == len(rows) else None)(
        api(server, "GET", "/twins/%s/rul" % twin).json()["estimate"]), what="the estimate after the last cycle")
    assert estimate["rul"] < 30 and estimate["low"] <= estimate["rul"] <= estimate["high"]
    kind, data = events.get(timeout=10)
    assert kind == "maintenance" and data["data"]["rul"] < 30 and data["data"]["maintenanceBelow"] == 30
    close_stream(connection)
    audit = api(server, "GET", "/audit?limit=1000").json()["entries"]
    assert any(e["action"] == "model.rul.train" for e in audit)
