"""The command line: configuration precedence, clear one-line errors, shutdown, and the demo."""
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import BIN, Server, free_port, unique
from helpers import V311, Client, mosquitto


def run(*args, env=None, timeout=20):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def one_line_error(result):
    assert result.returncode == 1, result
    lines = [l for l in result.stderr.splitlines() if "error" in l]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_health_and_readiness_endpoints(server):
    for path, body in [("/healthz", b'"ok"'), ("/readyz", b'"ready"')]:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (server.http_port, path), timeout=5) as response:
            assert response.status == 200 and body in response.read()


def test_unknown_route_gets_problem_details(server):
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/nowhere" % server.http_port, timeout=5)
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as error:
        assert error.code == 404
        assert error.headers["Content-Type"] == "application/problem+json"
        assert b'"code":"not_found"' in error.read()


def test_unknown_config_key_is_one_clear_line(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("mqtt_prot = 1883\n")
    line = one_line_error(run("serve", "--config", str(config), "--data-dir", str(tmp_path / "d")))
    assert "unknown configuration key 'mqtt_prot'" in line and str(config) in line


def test_bad_config_value_names_the_key(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[limits]\nmax_connections = -5\n")
    line = one_line_error(run("serve", "--config", str(config), "--data-dir", str(tmp_path / "d")))
    assert "limits.max_connections" in line and "-5" in line


def test_unknown_environment_variable_is_warned_about(server_factory):
    server = server_factory("--allow-anonymous", env={"TWINGUARD_MQTT_PROT": "1"})
    assert "TWINGUARD_MQTT_PROT names no configuration key" in server.log()


def test_taken_port_is_one_clear_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_line_error(run("serve", "--allow-anonymous", "--data-dir", str(tmp_path / "d"), "--bind",
                                  "127.0.0.1", "--mqtt-port", str(port), "--ws-port", "0", "--http-port", "0"))
    assert "cannot listen for mqtt on 127.0.0.1:%d" % port in line and "already in use" in line


def test_unusable_data_dir_is_one_clear_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    line = one_line_error(run("serve", "--data-dir", str(blocker / "data"), "--mqtt-port", "0"))
    assert "data dir" in line and str(blocker / "data") in line


def first_lines(args, env, count):
    """The first `count` listener lines, after the line that says what listens in plaintext."""
    process = subprocess.Popen([BIN, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, **env), text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("plaintext (no TLS) on 127.0.0.1: mqtt port"), first
        assert "only from this machine" in first
        return [process.stdout.readline().strip() for _ in range(count)]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def test_precedence_file_then_environment_then_flags(tmp_path):
    flag_port, env_port, file_port, http_port = free_port(), free_port(), free_port(), free_port()
    config = tmp_path / "c.toml"
    config.write_text('bind = "127.0.0.1"\nallow_anonymous = true\nmqtt_port = %d\nws_port = 0\nhttp_port = %d\n'
                      'mqtts_port = "off"\nwss_port = "off"\nhttps_port = "off"\n' % (file_port, http_port))
    base = ["--config", str(config), "--data-dir", str(tmp_path / "d")]
    assert first_lines(base, {}, 1) == ["mqtt listening on 127.0.0.1:%d" % file_port]
    env = {"TWINGUARD_MQTT_PORT": str(env_port), "TWINGUARD_WS_PORT": "off"}
    lines = first_lines(base, env, 2)
    assert lines == ["mqtt listening on 127.0.0.1:%d" % env_port, "http listening on 127.0.0.1:%d" % http_port]
    assert first_lines(base + ["--mqtt-port", str(flag_port)], env, 1) == [
        "mqtt listening on 127.0.0.1:%d" % flag_port]


def test_sigterm_and_sigint_shut_down_cleanly(server_factory):
    for sig in (signal.SIGTERM, signal.SIGINT):
        server = server_factory("--allow-anonymous")
        client = Client(server.mqtt_port, unique(), V311)
        assert server.stop(sig=sig) == 0
        assert "broker state saved" in server.log()


def test_listener_lines_are_printed_verbatim(server_factory):
    # Wait for every listener's line: HTTP and HTTPS start side by side, in either order.
    server = server_factory("--allow-anonymous", expect=("mqtt", "ws", "http", "mqtts", "wss", "https"))
    assert set(server.ports) == {"mqtt", "ws", "http", "mqtts", "wss", "https"}
    assert all(port > 0 for port in server.ports.values())


def test_demo_runs_a_fleet_that_publishes_telemetry(tmp_path):
    process = subprocess.Popen(
        [BIN, "demo", "--data-dir", str(tmp_path / "demo"), "--mqtt-port", "0", "--ws-port", "0", "--http-port", "0",
         "--mqtts-port", "0", "--wss-port", "0", "--https-port", "0",
         "--speed", "10"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        output = ""
        deadline = time.time() + 30
        while "q=SELECT" not in output and time.time() < deadline:
            output += process.stdout.readline()
        match = re.search(r"mosquitto_sub -h (\S+) -p (\d+) -u (\S+) -P '([^']+)'", output)
        assert match, output
        host, port, user, password = match.groups()
        assert host == "127.0.0.1"  # the demo binds loopback by default
        # The printed one-time login works and the fleet's telemetry flows.
        result = mosquitto("mosquitto_sub", "-h", host, "-p", port, "-u", user, "-P", password,
                           "-t", "tg/default/cnc-01/telemetry", "-t", "tg/default/engine-port/telemetry",
                           "-C", "3", "-v", "-W", "10")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 3 and all(l.startswith("tg/default/") and "{" in l for l in lines)
        # Values are in their physical ranges (e.g. a CNC spindle at 30-60 °C, an engine at hundreds of rpm).
        for line in lines:
            topic, payload = line.split(" ", 1)
            fields = __import__("json").loads(payload)
            assert fields and all(isinstance(v, (int, float)) for v in fields.values())
            if "temperature_c" in fields:
                assert 30 <= fields["temperature_c"] <= 60, line
            if "rpm" in fields:
                assert 600 <= fields["rpm"] <= 800, line
        # Without the login, anonymous access is refused.
        refused = mosquitto("mosquitto_sub", "-h", host, "-p", port, "-t", "#", "-C", "1", "-W", "3")
        assert refused.returncode != 0
        # The platform made twins of the fleet and stores their telemetry: read it as the guide says.
        twin_url = re.search(r"Twins:\s+curl -u '[^']+' (\S+)", output).group(1)
        import base64, json, urllib.request
        auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        # (CNC machines start once the demo has trained their bearing RUL model.)
        deadline = time.time() + 90
        while True:
            twin = json.loads(urllib.request.urlopen(urllib.request.Request(twin_url, headers={"Authorization": auth}), timeout=10).read())
            if "temperature_c" in twin["telemetry"] or time.time() > deadline:
                break
            time.sleep(0.5)
        assert twin["id"] == "cnc-01" and 30 <= twin["telemetry"]["temperature_c"]["value"] <= 60
        assert twin["presence"] == "online"  # its device is connected with the twin id as client id
        denied = urllib.request.Request(twin_url)
        try:
            urllib.request.urlopen(denied, timeout=10)
            raise AssertionError("the API answered without credentials")
        except urllib.error.HTTPError as error:
            assert error.code == 401
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
