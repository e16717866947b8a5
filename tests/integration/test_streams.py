"""Server-Sent Events: a twin's live stream and the tenant's event feed, with filters."""
import http.client
import socket
import json
import queue
import threading
import time

from conftest import unique
from helpers import Client
from httpclient import request


def open_stream(port, path):
    """Reads SSE events in a thread; returns (queue of (event, data), connection)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream"
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
    time.sleep(0.2)
    request(port, "POST", "/api/v1/twins/live-1/telemetry", json_body={"temp": 21.25})
    assert next_event(events, "telemetry")["data"] == {"temp": 21.25}
    device = Client(server.mqtt_port, client_id="live-1")
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
    time.sleep(0.2)
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
