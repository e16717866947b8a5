"""Bad input gets the right reason code or a close, a log line, and never harms the server."""
import os
import socket
import struct
import time

import pytest

import rawmqtt as raw
from conftest import unique
from helpers import V5, V311, Client


def assert_server_healthy(server):
    assert server.alive()
    probe = raw.RawClient(server.mqtt_port, version=4)
    probe.connect(unique("probe"))
    probe.send(raw.packet(raw.PINGREQ, 0, b""))
    probe.expect(raw.PINGRESP)
    probe.close()


def open_socket(server):
    return socket.create_connection(("127.0.0.1", server.mqtt_port), timeout=5)


def closed_by_server(sock, timeout=5):
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_anonymous_clients_are_refused_without_allow_anonymous(server_factory):
    server = server_factory()
    v3 = raw.RawClient(server.mqtt_port, version=4)
    v3.connect(unique())
    assert v3.connack_code == 0x05
    v5 = raw.RawClient(server.mqtt_port, version=5)
    v5.connect(unique())
    assert v5.connack_code == 0x87
    assert "not allowed" in v5.connack_props[raw.P_REASON_STRING]
    bad = raw.RawClient(server.mqtt_port, version=5)
    bad.connect(unique(), username="nobody", password="guess")
    assert bad.connack_code == 0x86
    assert "connection refused" in server.log()


def test_packet_before_connect_closes_the_connection(server):
    sock = open_socket(server)
    sock.sendall(raw.packet(raw.PUBLISH, 0, raw.utf8("a/b") + b"x"))
    assert closed_by_server(sock)
    assert_server_healthy(server)


def test_malformed_remaining_length_closes_the_connection(server):
    sock = open_socket(server)
    sock.sendall(bytes([0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
    assert closed_by_server(sock)
    assert "protocol violation" in server.log() or "closing" in server.log()
    assert_server_healthy(server)


def test_unsupported_protocol_level_gets_return_code_1(server):
    sock = open_socket(server)
    body = raw.utf8("MQTT") + bytes([6, 2]) + struct.pack(">H", 60) + raw.utf8("x")
    sock.sendall(raw.packet(raw.CONNECT, 0, body))
    data = sock.recv(16)
    assert data[:2] == b"\x20\x02" and data[3] == 0x01
    assert closed_by_server(sock)


def test_invalid_utf8_topic_is_malformed(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.send(raw.packet(raw.PUBLISH, 0, struct.pack(">H", 2) + b"\xc3\x28" + raw.props([]) + b"x"))
    assert client.closed()
    assert client.last_before_close.body[0] == 0x81
    v3 = raw.RawClient(server.mqtt_port, version=4)
    v3.connect(unique())
    v3.send(raw.packet(raw.PUBLISH, 0, struct.pack(">H", 2) + b"\xc3\x28" + b"x"))
    assert v3.closed()
    assert_server_healthy(server)


def test_wildcard_in_a_published_topic_is_refused(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.publish("a/+/b", b"x", qos=1, packet_id=1)
    assert client.closed()
    assert client.last_before_close.body[0] == 0x90


def test_invalid_subscription_filter_gets_a_failure_code(server):
    for version, failure in [(4, 0x80), (5, 0x8F)]:
        client = raw.RawClient(server.mqtt_port, version=version)
        client.connect(unique())
        suback = client.subscribe(1, [("a/#/b", 0), ("ok/+", 1)])
        codes = list(suback.body[3:] if version == 5 else suback.body[2:])
        assert codes == [failure, 1]


def test_oversize_packet_is_refused_before_it_is_buffered(server_factory):
    server = server_factory("--allow-anonymous", config_text="[limits]\nmax_packet_size = 4096\n")
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    # Announce 100 MB and send only the header: the broker must refuse at once, not wait for the body.
    client.send(bytes([0x30]) + raw.varint(100_000_000))
    assert client.closed(timeout=3)
    assert client.last_before_close.body[0] == 0x95
    v3 = raw.RawClient(server.mqtt_port, version=4)
    v3.connect(unique())
    v3.send(bytes([0x30]) + raw.varint(100_000_000))
    assert v3.closed(timeout=3)
    assert_server_healthy(server)


def test_second_connect_is_a_protocol_error(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.send(raw.packet(raw.CONNECT, 0, raw.utf8("MQTT") + bytes([5, 2, 0, 60, 0]) + raw.utf8("again")))
    assert client.closed()
    assert client.last_before_close.body[0] == 0x82


def test_reserved_flags_are_malformed(server):
    client = raw.RawClient(server.mqtt_port, version=4)
    client.connect(unique())
    client.send(raw.packet(raw.SUBSCRIBE, 0, b"\x00\x01" + raw.utf8("a") + b"\x00"))  # SUBSCRIBE flags must be 2
    assert client.closed()


def test_idle_socket_without_connect_is_closed(server_factory):
    server = server_factory("--allow-anonymous", config_text="[limits]\nconnect_timeout = 1\n")
    sock = open_socket(server)
    started = time.time()
    assert closed_by_server(sock, timeout=5)
    assert time.time() - started < 4


def test_connection_limit(server_factory):
    server = server_factory("--allow-anonymous", config_text="[limits]\nmax_connections = 2\n")
    a = raw.RawClient(server.mqtt_port, version=4)
    a.connect(unique())
    b = raw.RawClient(server.mqtt_port, version=4)
    b.connect(unique())
    sock = open_socket(server)
    assert closed_by_server(sock)
    assert "connection limit reached" in server.log()
    a.close()
    time.sleep(0.3)
    c = raw.RawClient(server.mqtt_port, version=4)
    c.connect(unique())
    assert c.connack_code == 0


def test_errors_are_counted_in_sys_topics(server_factory):
    server = server_factory("--allow-anonymous", config_text="[broker]\nsys_interval = 0.2\n")
    bad = raw.RawClient(server.mqtt_port, version=5)
    bad.connect(unique())
    bad.publish("a/#", b"x", qos=0)
    assert bad.closed()
    watcher = raw.RawClient(server.mqtt_port, version=4)
    watcher.connect(unique())
    watcher.subscribe(1, [("$SYS/broker/errors/protocol", 0)])
    counts = []
    deadline = time.time() + 5
    while time.time() < deadline and not (counts and counts[-1] >= 1):
        counts.append(int(raw.parse_publish(watcher.expect(raw.PUBLISH))["payload"]))
    assert counts[-1] >= 1


def test_v311_empty_client_id_needs_a_clean_session(server):
    client = raw.RawClient(server.mqtt_port, version=4)
    client.connect("", clean=False)
    assert client.connack_code == 0x02
    assert client.closed()


def test_random_garbage_never_crashes_the_server(server):
    rng = __import__("random").Random(1234)
    for i in range(300):
        sock = open_socket(server)
        if i % 3 == 0:
            # A valid CONNECT first, then garbage inside the session.
            sock.sendall(raw.packet(raw.CONNECT, 0, raw.utf8("MQTT") + bytes([4 + (i % 2), 2, 0, 30])
                                    + (b"\x00" if i % 2 else b"") + raw.utf8("fuzz-%d" % i)))
        sock.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))))
        sock.close()
    assert_server_healthy(server)
