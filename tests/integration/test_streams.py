"""Server-Sent Events: a twin's live stream and the tenant's event feed, with filters."""
import http.client
import socket
import json
import queue
import threading
import time

from conftest import unique
from helpers import Client, device_login
from httpclient import request


def open_stream(port, path):
    """Reads SSE events in a thread; returns (queue of (event, data), connection)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream"
    # The server subscribes before it writes this first line: events from now on reach the stream.
    assert response.readline() == b": connected\n"
    events = queue.Queue()

    def read():
        kind = None
        try:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.put((kind, json.loads(line[6:])))
        except Exception:
            pass

    threading.Thread(target=read, daemon=True).start()
    return events, connection


def close_stream(connection):
    connection.sock.shutdown(socket.SHUT_RDWR)
    connection.close()


def next_event(events, kind, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got_kind, data = events.get(timeout=max(0.01, deadline - time.time()))
        if got_kind == kind:
            return data
    raise AssertionError("no %s event" % kind)


def test_twin_stream_shows_telemetry_presence_and_state(server):
    port = server.http_port
    assert request(port, "POST", "/api/v1/twins", json_body={"id": "live-1"}).status == 201
    events, connection = open_stream(port, "/api/v1/twins/live-1/stream")
    request(port, "POST", "/api/v1/twins/live-1/telemetry", json_body={"temp": 21.25})
    assert next_event(events, "telemetry")["data"] == {"temp": 21.25}
    username, password = device_login(port, "live-1")
    device = Client(server.mqtt_port, client_id="live-1", username=username, password=password)
    assert next_event(events, "presence")["data"] == {"online": True}
    assert request(port, "GET", "/api/v1/twins/live-1").json()["presence"] == "online"
    request(port, "PATCH", "/api/v1/twins/live-1/desired", json_body={"setpoint": 50})
    assert next_event(events, "desired")["data"]["delta"] == {"setpoint": 50}
    device.disconnect()
    assert next_event(events, "presence")["data"] == {"online": False}
    assert request(port, "GET", "/api/v1/twins/live-1").json()["presence"] == "offline"
    close_stream(connection)


def test_event_feed_filters_by_kind_and_twin(server):
    port = server.http_port
    events, connection = open_stream(port, "/api/v1/events/stream?kinds=twin&twin=feed-2")
    request(port, "POST", "/api/v1/twins", json_body={"id": "feed-1"})
    request(port, "POST", "/api/v1/twins", json_body={"id": "feed-2"})
    request(port, "POST", "/api/v1/twins/feed-2/telemetry", json_body={"x": 1})
    request(port, "DELETE", "/api/v1/twins/feed-2")
    kind, data = events.get(timeout=5)
    assert (kind, data["twin"]) == ("twin.created", "feed-2")
    kind, data = events.get(timeout=5)
    assert kind == "twin.deleted"
    assert events.empty()
    assert request(port, "GET", "/api/v1/twins/nope/stream").status == 404
    close_stream(connection)


def ws_connect(port, path, auth=None):
    """A minimal WebSocket client (RFC 6455) on a raw socket: the handshake, then text frames."""
    import base64, os
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    headers = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket", "Connection: Upgrade",
               "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
    if auth:
        headers.append("Authorization: Basic " + base64.b64encode(auth.encode()).decode())
    sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        if not chunk:
            break
        response += chunk
    status = int(response.split(b" ", 2)[1])
    return sock, status, response.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in response else b""


def ws_read_text(sock, buffer):
    def need(n):
        nonlocal buffer
        while len(buffer) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError
            buffer += chunk
    need(2)
    opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
    offset = 2
    if length == 126:
        need(4)
        length, offset = int.from_bytes(buffer[2:4], "big"), 4
    elif length == 127:
        need(10)
        length, offset = int.from_bytes(buffer[2:10], "big"), 10
    need(offset + length)
    payload, buffer = buffer[offset:offset + length], buffer[offset + length:]
    return opcode, payload, buffer


def test_websocket_streams_carry_the_same_events(server):
    port = server.http_port
    assert request(port, "POST", "/api/v1/twins", json_body={"id": "ws-1"}).status == 201
    sock, status, rest = ws_connect(port, "/api/v1/twins/ws-1/ws?kinds=telemetry")
    assert status == 101
    time.sleep(0.2)
    request(port, "POST", "/api/v1/twins/ws-1/telemetry", json_body={"rpm": 1450})
    request(port, "PATCH", "/api/v1/twins/ws-1/desired", json_body={"x": 1})  # filtered out
    request(port, "POST", "/api/v1/twins/ws-1/telemetry", json_body={"rpm": 1460})
    events = []
    for _ in range(2):
        opcode, payload, rest = ws_read_text(sock, rest)
        assert opcode == 1
        events.append(json.loads(payload))
    assert [(e["kind"], e["data"]["rpm"]) for e in events] == [("telemetry", 1450), ("telemetry", 1460)]
    sock.close()
    feed, status, _ = ws_connect(port, "/api/v1/events/ws")
    assert status == 101
    feed.close()
    # Unknown twins are not upgraded.
    _, status, _ = ws_connect(port, "/api/v1/twins/nope/ws")
    assert status != 101


def test_websocket_streams_need_credentials(server_factory):
    # A refused upgrade is answered 400 by Hummingbird's WebSocket layer (it has no way to pass our 401 on);
    # what matters is that no stream opens and the denial is logged.
    server = server_factory()
    _, status, _ = ws_connect(server.http_port, "/api/v1/events/ws")
    assert status == 400
    _, status, _ = ws_connect(server.http_port, "/api/v1/events/ws", auth="someone:wrong")
    assert status == 400
    time.sleep(0.2)
    assert "http request refused" in server.log()
