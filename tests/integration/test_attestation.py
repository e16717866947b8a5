"""Posture with a TPM 2.0 quote, against Debian's software TPM (swtpm) driven by tpm2-tools: a fresh
server nonce, the quote's signature, the pinned attestation key and golden PCR measurements."""
import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from conftest import free_port, unique
from test_identity import SECURE, api, device, enroll


class SoftTPM:
    """A swtpm instance on loopback with an endorsement key and an ECDSA attestation key."""

    def __init__(self, folder):
        self.folder = str(folder)
        os.makedirs(os.path.join(self.folder, "state"))
        # The swtpm TCTI talks to the control channel on the next port.
        port = free_port()
        while True:
            try:
                socket.create_server(("127.0.0.1", port + 1)).close()
                break
            except OSError:
                port = free_port()
        self.env = dict(os.environ, TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=%d" % port)
        self.process = subprocess.Popen(
            ["swtpm", "socket", "--tpmstate", "dir=" + os.path.join(self.folder, "state"), "--tpm2",
             "--server", "type=tcp,port=%d,bindaddr=127.0.0.1" % port,
             "--ctrl", "type=tcp,port=%d,bindaddr=127.0.0.1" % (port + 1), "--flags", "not-need-init,startup-clear"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert self.process.poll() is None, self.process.stderr.read()
                assert time.time() < deadline, "swtpm did not listen"
                time.sleep(0.1)
        self.run("tpm2_createek", "-c", "ek.ctx", "-G", "ecc", "-u", "ek.pub")
        self.run("tpm2_flushcontext", "-t")
        self.new_attestation_key()

    def run(self, *args):
        result = subprocess.run(list(args), cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, (args, result.stderr)
        return result.stdout

    def new_attestation_key(self):
        self.run("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "ecc", "-g", "sha256", "-s", "ecdsa",
                 "-u", "ak.pem", "-f", "pem", "-n", "ak.name")
        self.run("tpm2_flushcontext", "-t")

    def measure(self, text):
        digest = subprocess.run(["sha256sum"], input=text.encode(), capture_output=True, check=True).stdout.split()[0].decode()
        self.run("tpm2_pcrextend", "7:sha256=" + digest)

    def quote(self, nonce):
        self.run("tpm2_quote", "-c", "ak.ctx", "-l", "sha256:0,1,2,3,4,5,6,7", "-q", nonce, "-m", "quote.msg", "-s", "quote.sig",
                 "-g", "sha256", "-f", "plain")
        self.run("tpm2_flushcontext", "-t")
        read = lambda name: open(os.path.join(self.folder, name), "rb").read()
        return {"attest": base64.b64encode(read("quote.msg")).decode(), "signature": base64.b64encode(read("quote.sig")).decode(),
                "ak": read("ak.pem").decode()}

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)


@pytest.fixture
def tpm(tmp_path):
    if not shutil.which("swtpm") or not shutil.which("tpm2_quote"):
        pytest.fail("swtpm and tpm2-tools are needed (scripts/install-test-deps installs them)")
    instance = SoftTPM(tmp_path / "tpm")
    yield instance
    instance.stop()


def nonce_for(server, files):
    context = ssl.create_default_context(cafile=files[0])
    context.check_hostname = False
    context.load_cert_chain(files[1], files[2])
    request = urllib.request.Request("https://127.0.0.1:%d/api/v1/attestation/nonce" % server.ports["https"], data=b"", method="POST")
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        assert answer.status == 201
        return json.load(answer)["nonce"]


def report(client, twin, quote):
    posture = {"firmware_version": "2.1.0", "secure_boot": True, "open_services": [], "patch_level": "2026-10"}
    if quote is not None:
        posture["tpm_quote"] = quote
    client.publish("tg/default/%s/posture" % twin, json.dumps(posture).encode(), qos=1)
    assert client.pubacks.get(timeout=5)[1].value == 0


def test_tpm_quotes_prove_measured_state_with_a_fresh_nonce_and_the_same_key(server_factory, tmp_path, tpm):
    server = server_factory(expect=SECURE)
    assert api(server, "PUT", "/api/v1/posture-policy", {"require_tpm_quote": True}).status == 200
    twin = unique("plc")
    files = enroll(server, twin, tmp_path / "dev")
    client = device(server, files)

    def state():
        return api(server, "GET", "/api/v1/devices/%s" % twin).json()

    report(client, twin, None)
    assert state()["tier"] == "quarantined" and "no TPM quote reported" in state()["posture_findings"]

    tpm.measure("firmware 2.1.0")
    good = tpm.quote(nonce_for(server, files))
    report(client, twin, good)
    assert state()["tier"] == "trusted" and state()["posture_findings"] == [], state()
    golden = state()["quoted_pcr_digest"]
    assert len(golden) == 64
    assert api(server, "PUT", "/api/v1/posture-policy", {"require_tpm_quote": True, "allowed_pcr_digests": [golden]}).status == 200
    assert state()["tier"] == "trusted"

    # The same quote again: its nonce was used.
    report(client, twin, good)
    assert state()["tier"] == "quarantined" and "nonce" in " ".join(state()["posture_findings"])

    # A nonce the server never issued.
    report(client, twin, tpm.quote("00112233445566778899aabbccddeeff"))
    assert "nonce" in " ".join(state()["posture_findings"])

    # Fresh and well signed, but the firmware measurement changed.
    report(client, twin, tpm.quote(nonce_for(server, files)))
    assert state()["tier"] == "trusted"
    tpm.measure("tampered firmware")
    report(client, twin, tpm.quote(nonce_for(server, files)))
    assert state()["tier"] == "quarantined" and "not an allowed measurement" in " ".join(state()["posture_findings"])

    # A forged signature, and a quote from another attestation key.
    forged = dict(tpm.quote(nonce_for(server, files)))
    forged["attest"] = base64.b64encode(b"\xff\x54\x43\x47\x80\x18" + base64.b64decode(forged["attest"])[6:-1] + b"\x00").decode()
    report(client, twin, forged)
    assert "signature does not verify" in " ".join(state()["posture_findings"])
    tpm.new_attestation_key()
    report(client, twin, tpm.quote(nonce_for(server, files)))
    assert "attestation key is not the one" in " ".join(state()["posture_findings"])
