"""A deliberately small MQTT client on a raw socket, for exact control over packets in tests
(QoS 2 state across reconnects, flow control, malformed input)."""
import socket
import struct
import time

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14

# MQTT 5 property ids used in tests
P_PAYLOAD_FORMAT, P_EXPIRY, P_CONTENT_TYPE, P_RESPONSE_TOPIC, P_CORRELATION = 0x01, 0x02, 0x03, 0x08, 0x09
P_SUB_ID, P_SESSION_EXPIRY, P_ASSIGNED_ID, P_SERVER_KEEPALIVE = 0x0B, 0x11, 0x12, 0x13
P_REASON_STRING, P_RECEIVE_MAX, P_TOPIC_ALIAS_MAX, P_TOPIC_ALIAS = 0x1F, 0x21, 0x22, 0x23
P_USER_PROPERTY, P_MAX_PACKET = 0x26, 0x27


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def props(items):
    """items: list of (id, value); encodes by id type."""
    body = bytearray()
    for pid, value in items:
        body += varint(pid)
        if pid in (P_PAYLOAD_FORMAT, 0x17, 0x19):
            body += bytes([value])
        elif pid in (P_EXPIRY, P_SESSION_EXPIRY, P_MAX_PACKET, 0x18):
            body += struct.pack(">I", value)
        elif pid in (P_RECEIVE_MAX, P_TOPIC_ALIAS_MAX, P_TOPIC_ALIAS, P_SERVER_KEEPALIVE):
            body += struct.pack(">H", value)
        elif pid == P_SUB_ID:
            body += varint(value)
        elif pid == P_USER_PROPERTY:
            body += utf8(value[0]) + utf8(value[1])
        else:
            body += utf8(value)
    return varint(len(body)) + bytes(body)


def packet(ptype, flags, body):
    return bytes([(ptype << 4) | flags]) + varint(len(body)) + body


def parse_props(data, offset):
    length, offset = read_varint(data, offset)
    end = offset + length
    out = {}
    while offset < end:
        pid, offset = read_varint(data, offset)
        if pid in (0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A):
            value = data[offset]; offset += 1
        elif pid in (0x02, 0x11, 0x18, 0x27):
            value = struct.unpack(">I", data[offset:offset + 4])[0]; offset += 4
        elif pid in (0x13, 0x21, 0x22, 0x23):
            value = struct.unpack(">H", data[offset:offset + 2])[0]; offset += 2
        elif pid == 0x0B:
            value, offset = read_varint(data, offset)
        elif pid == 0x26:
            k, offset = read_str(data, offset)
            v, offset = read_str(data, offset)
            value = (k, v)
        else:
            value, offset = read_str(data, offset)
        if pid in (0x26, 0x0B):
            out.setdefault(pid, []).append(value)
        else:
            out[pid] = value
    return out, end


def read_varint(data, offset):
    value, mult = 0, 1
    while True:
        b = data[offset]; offset += 1
        value += (b & 0x7F) * mult
        if not b & 0x80:
            return value, offset
        mult *= 128


def read_str(data, offset):
    n = struct.unpack(">H", data[offset:offset + 2])[0]
    return data[offset + 2:offset + 2 + n].decode(), offset + 2 + n


class Packet:
    def __init__(self, ptype, flags, body):
        self.type, self.flags, self.body = ptype, flags, body

    def __repr__(self):
        return "Packet(type=%d, flags=%d, body=%r)" % (self.type, self.flags, self.body[:40])


class RawClient:
    def __init__(self, port, version=4, host="127.0.0.1"):
        self.version = version
        self.sock = socket.create_connection((host, port), timeout=5)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def connect(self, client_id, clean=True, keepalive=60, properties=(), will=None, username=None, password=None):
        flags = 0x02 if clean else 0
        payload = utf8(client_id)
        if will:
            topic, message, qos, retain = will[:4]
            flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
            if self.version == 5:
                payload += props(will[4] if len(will) > 4 else [])
            payload += utf8(topic) + utf8(message)
        if username is not None:
            flags |= 0x80
            payload += utf8(username)
        if password is not None:
            flags |= 0x40
            payload += utf8(password)
        body = utf8("MQTT") + bytes([self.version, flags]) + struct.pack(">H", keepalive)
        if self.version == 5:
            body += props(properties)
        self.send(packet(CONNECT, 0, body + payload))
        ack = self.expect(CONNACK)
        self.session_present = ack.body[0] & 1
        self.connack_code = ack.body[1]
        self.connack_props = parse_props(ack.body, 2)[0] if self.version == 5 and len(ack.body) > 2 else {}
        return ack

    def publish(self, topic, payload, qos=0, packet_id=None, retain=False, dup=False, properties=()):
        flags = (qos << 1) | (0x08 if dup else 0) | (0x01 if retain else 0)
        body = utf8(topic)
        if qos:
            body += struct.pack(">H", packet_id)
        if self.version == 5:
            body += props(properties)
        body += payload if isinstance(payload, bytes) else payload.encode()
        self.send(packet(PUBLISH, flags, body))

    def ack(self, ptype, packet_id):
        self.send(packet(ptype, 0x02 if ptype == PUBREL else 0, struct.pack(">H", packet_id)))

    def subscribe(self, packet_id, filters, properties=()):
        body = struct.pack(">H", packet_id)
        if self.version == 5:
            body += props(properties)
        for f, options in filters:
            body += utf8(f) + bytes([options])
        self.send(packet(SUBSCRIBE, 2, body))
        return self.expect(SUBACK)

    def disconnect(self, reason=None, properties=()):
        body = b""
        if self.version == 5 and reason is not None:
            body = bytes([reason]) + props(properties)
        self.send(packet(DISCONNECT, 0, body))
        self.sock.close()

    def close(self):
        self.sock.close()

    def read(self, timeout=5):
        """The next packet, or None when the server closed the connection; raises on timeout."""
        deadline = time.time() + timeout
        while True:
            parsed = self._parse()
            if parsed:
                return parsed
            remaining = deadline - time.time()
            if remaining <= 0:
                raise TimeoutError("no packet within %ss" % timeout)
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no packet within %ss" % timeout)
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def _parse(self):
        if len(self.buffer) < 2:
            return None
        length, mult, i = 0, 1, 1
        while True:
            if i >= len(self.buffer):
                return None
            b = self.buffer[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        if len(self.buffer) < i + length:
            return None
        first = self.buffer[0]
        body = self.buffer[i:i + length]
        self.buffer = self.buffer[i + length:]
        return Packet(first >> 4, first & 0x0F, body)

    def expect(self, ptype, timeout=5):
        p = self.read(timeout)
        assert p is not None, "connection closed while waiting for packet type %d" % ptype
        assert p.type == ptype, "expected packet type %d, got %r" % (ptype, p)
        return p

    def no_packet(self, timeout=0.5):
        try:
            p = self.read(timeout)
        except TimeoutError:
            return True
        raise AssertionError("unexpected packet %r" % (p,))

    def closed(self, timeout=5):
        """True when the server closes the connection (after any packets it sends first)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                p = self.read(deadline - time.time())
            except TimeoutError:
                return False
            if p is None:
                return True
            self.last_before_close = p
        return False


def parse_publish(p, version=4):
    qos = (p.flags >> 1) & 3
    topic, offset = read_str(p.body, 0)
    packet_id = None
    if qos:
        packet_id = struct.unpack(">H", p.body[offset:offset + 2])[0]
        offset += 2
    properties = {}
    if version == 5:
        properties, offset = parse_props(p.body, offset)
    return {"topic": topic, "qos": qos, "packet_id": packet_id, "dup": bool(p.flags & 8),
            "retain": bool(p.flags & 1), "payload": p.body[offset:], "props": properties}
