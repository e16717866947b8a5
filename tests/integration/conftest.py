"""Fixtures that start the real TwinGuard server on ephemeral ports with a temporary data dir."""
import os
import select
import signal
import socket
import subprocess
import time
import uuid

import pytest

BIN = os.environ.get("TG_TEST_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", ".build", "debug", "twinguard")


ALL_LISTENERS = ("mqtt", "ws", "mqtts", "wss", "http", "https")


class Server:
    """A running `twinguard serve` process and the ports it printed."""

    def __init__(self, data_dir, args=(), config_text=None, env=None, expect=None):
        self.data_dir = str(data_dir)
        self.args = list(args)
        self.config_text = config_text
        self.env = env
        # Every listener by default: they start side by side, so a test that uses HTTPS must not race its line.
        self.expect = expect or ALL_LISTENERS
        self.ports = {}
        self.process = None
        self.stderr_path = os.path.join(self.data_dir + "-stderr.log")

    def start(self):
        cmd = [BIN, "serve", "--data-dir", self.data_dir, "--mqtt-port", "0", "--ws-port", "0",
               "--http-port", "0", "--mqtts-port", "0", "--wss-port", "0", "--https-port", "0", "--bind", "127.0.0.1",
               "--log-level", "info"] + self.args
        if self.config_text is not None:
            path = self.data_dir + ".toml"
            with open(path, "w") as f:
                f.write(self.config_text)
            cmd += ["--config", path]
        env = dict(os.environ)
        env.update(self.env or {})
        self.stderr = open(self.stderr_path, "ab")
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, env=env)
        self.ports = {}
        self.output = b""
        deadline = time.time() + 30
        buffer = b""
        while set(self.expect) - set(self.ports):
            remaining = deadline - time.time()
            if remaining <= 0 or self.process.poll() is not None:
                raise RuntimeError("server did not start: " + open(self.stderr_path, errors="replace").read()[-2000:])
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.process.stdout.fileno(), 4096)
            buffer += chunk
            self.output += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                text = line.decode()
                if " listening on " in text:
                    name, address = text.split(" listening on ")
                    self.ports[name] = int(address.rsplit(":", 1)[1])
        return self

    @property
    def mqtt_port(self):
        return self.ports["mqtt"]

    @property
    def ws_port(self):
        return self.ports["ws"]

    @property
    def http_port(self):
        return self.ports["http"]

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("server did not stop within %ss of %s" % (timeout, sig))
        if self.process:
            self.process.stdout.close()
            self.stderr.close()
        return self.process.returncode

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.process.poll() is None

    def log(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()


@pytest.fixture
def server_factory(tmp_path):
    servers = []

    def make(*args, config_text=None, env=None, expect=None, name=None):
        data_dir = tmp_path / (name or ("data-" + uuid.uuid4().hex[:8]))
        server = Server(data_dir, args, config_text=config_text, env=env, expect=expect)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(server_factory):
    """A server in development mode (anonymous clients allowed)."""
    return server_factory("--allow-anonymous")


def unique(prefix="t"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
