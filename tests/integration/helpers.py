"""paho-mqtt 2.x helpers: connect, wait for messages, and run the mosquitto command-line clients."""
import queue
import time
import subprocess
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

V311 = mqtt.MQTTv311
V5 = mqtt.MQTTv5
VERSIONS = [V311, V5]


def version_id(v):
    return "v5" if v == V5 else "v311"


class Client:
    """A connected paho client that records what it receives."""

    def __init__(self, port, client_id="", version=V5, clean=True, transport="tcp", will=None,
                 connect_properties=None, keepalive=60, username=None, password=None, host="127.0.0.1", tls=None):
        self.version = version
        self.messages = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack = None
        self.disconnect_reason = None
        self.subacks = queue.Queue()
        self.pubacks = queue.Queue()
        kwargs = {"client_id": client_id, "protocol": version, "transport": transport}
        if version != V5:
            kwargs["clean_session"] = clean
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, **kwargs)
        if transport == "websockets":
            self.client.ws_set_options(path="/")
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls is not None:
            # (ca.crt, device.crt, device.key) from `twinguard device enroll`
            self.client.tls_set(ca_certs=tls[0], certfile=tls[1], keyfile=tls[2])
        if will:
            self.client.will_set(*will)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.subacks.put(codes)
        self.client.on_publish = lambda c, u, mid, code, props: self.pubacks.put((mid, code))
        connect_kwargs = {"keepalive": keepalive}
        if version == V5:
            connect_kwargs["clean_start"] = clean
            if connect_properties is not None:
                connect_kwargs["properties"] = connect_properties
        self.client.connect(host, port, **connect_kwargs)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise TimeoutError("no CONNACK")

    def _on_connect(self, client, userdata, flags, reason, properties):
        self.connack = (flags, reason, properties)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason, properties):
        self.disconnect_reason = reason
        self.disconnected.set()

    @property
    def session_present(self):
        return self.connack[0].session_present

    def subscribe(self, topic, qos=0, options=None, properties=None):
        if self.version == V5:
            opts = options or mqtt.SubscribeOptions(qos=qos)
            self.client.subscribe(topic, options=opts, properties=properties)
        else:
            self.client.subscribe(topic, qos)
        return self.subacks.get(timeout=5)

    def publish(self, topic, payload, qos=0, retain=False, properties=None, wait=True):
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if wait and qos > 0:
            info.wait_for_publish(5)
        return info

    def get(self, timeout=5):
        return self.messages.get(timeout=timeout)

    def get_all(self, timeout=1.0, limit=10.0):
        """Messages until none arrives for `timeout` seconds (at most `limit` seconds in all)."""
        out = []
        deadline = time.time() + limit
        while time.time() < deadline:
            try:
                out.append(self.messages.get(timeout=min(timeout, max(0.01, deadline - time.time()))))
            except queue.Empty:
                return out
        return out

    def nothing(self, timeout=0.7):
        try:
            m = self.messages.get(timeout=timeout)
        except queue.Empty:
            return True
        raise AssertionError("unexpected message on %s: %r" % (m.topic, m.payload))

    def disconnect(self, properties=None, reason=None):
        if reason is not None:
            from paho.mqtt.reasoncodes import ReasonCode
            self.client.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, identifier=reason), properties=properties)
        else:
            self.client.disconnect(properties=properties)
        self.disconnected.wait(5)
        self.client.loop_stop()

    def drop(self):
        """Ends the connection without DISCONNECT, as a crashed device would."""
        self.client.loop_stop()
        self.client.socket().close()


def publish_properties(**values):
    props = Properties(PacketTypes.PUBLISH)
    for key, value in values.items():
        setattr(props, key, value)
    return props


def connect_properties(**values):
    props = Properties(PacketTypes.CONNECT)
    for key, value in values.items():
        setattr(props, key, value)
    return props


def mosquitto(*args, timeout=10):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)


def device_login(port, twin):
    """MQTT credentials of `twin`'s own device on a development server: a device password (presence comes only
    from a twin's own device identity, never from a client id)."""
    import httpclient
    assert httpclient.request(port, "PATCH", "/api/v1/tenant", json_body={"devicePasswords": True}).status == 200
    made = httpclient.request(port, "POST", "/api/v1/devices/%s/password" % twin)
    assert made.status == 201, made
    return made.json()["username"], made.json()["password"]
