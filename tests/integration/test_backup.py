"""twinguard backup while serving, restore into a new data dir, and the data dir lock."""
import os
import subprocess
import threading

from conftest import BIN, Server
from httpclient import query, request

T0 = 1767225600000000000


def run(*args):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=120)


def test_backup_while_writing_then_restore(server_factory, tmp_path):
    server = server_factory("--allow-anonymous", name="source")
    port = server.http_port
    model = {"id": "tg:b:Meter;1", "telemetry": [{"name": "kwh", "schema": "double"}]}
    assert request(port, "POST", "/api/v1/models", json_body=model).status == 201
    assert request(port, "POST", "/api/v1/twins", json_body={"id": "meter-1", "model": "tg:b:Meter;1"}).status == 201
    acked = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set() and i < 5000:
            if request(port, "POST", "/api/v1/twins/meter-1/telemetry", json_body={"kwh": i * 0.5, "ts": T0 + i}).status == 204:
                acked.append(i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    while len(acked) < 200:
        pass
    backup = tmp_path / "backup"
    result = run("backup", "--data-dir", server.data_dir, "--out", str(backup))
    copied_after = len(acked)
    stop.set()
    thread.join()
    assert result.returncode == 0, result.stderr
    assert "backup of" in result.stdout and (backup / "backup.json").exists()
    # The device CA goes with it (restored devices keep their certificates), its key still private.
    assert oct((backup / "pki" / "ca.key").stat().st_mode & 0o777) == "0o600"
    ca = request(port, "GET", "/pki/ca.crt").body

    # Not over an existing backup, not into a running server's data dir.
    assert run("backup", "--data-dir", server.data_dir, "--out", str(backup)).returncode == 1
    refused = run("restore", "--from", str(backup), "--data-dir", server.data_dir, "--force")
    assert refused.returncode == 1 and "another TwinGuard process uses it" in refused.stderr

    target = tmp_path / "restored"
    result = run("restore", "--from", str(backup), "--data-dir", str(target))
    assert result.returncode == 0, result.stderr
    assert run("restore", "--from", str(backup), "--data-dir", str(target)).returncode == 1  # not empty now
    restored = Server(target, ["--allow-anonymous"]).start()
    try:
        twin = request(restored.http_port, "GET", "/api/v1/twins/meter-1").json()
        assert twin["model"] == "tg:b:Meter;1"
        answer = query(restored.http_port, "SELECT kwh FROM telemetry WHERE twin = 'meter-1'", epoch="ns").json()
        values = {row[0] - T0: row[1] for row in answer["results"][0]["series"][0]["values"]}
        # Everything acknowledged before the backup started is in it, with its exact value.
        assert all(values.get(i) == i * 0.5 for i in range(200))
        assert len(values) <= copied_after + 50
        assert request(restored.http_port, "GET", "/pki/ca.crt").body == ca
    finally:
        restored.stop()


def test_a_second_server_on_the_same_data_dir_is_refused(server_factory):
    server = server_factory("--allow-anonymous", name="locked")
    second = subprocess.run([BIN, "serve", "--data-dir", server.data_dir, "--mqtt-port", "0", "--ws-port", "0", "--http-port", "0"],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode == 1
    assert "another TwinGuard process uses it (pid %d)" % server.process.pid in second.stderr
    assert server.alive()
