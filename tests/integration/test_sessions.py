"""Sessions: will messages, keep-alive, persistent sessions, takeover, QoS 2 exactly-once, restarts."""
import time

import pytest

import rawmqtt as raw
from conftest import unique
from helpers import V5, V311, VERSIONS, Client, connect_properties, version_id


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_will_is_published_when_a_client_vanishes(server, version):
    topic = unique("will")
    watcher = Client(server.mqtt_port, unique(), version)
    watcher.subscribe(topic, 1)
    device = Client(server.mqtt_port, unique(), version, will=(topic, b"device lost", 1, False))
    device.drop()
    message = watcher.get()
    assert message.payload == b"device lost"


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_will_is_discarded_on_normal_disconnect(server, version):
    topic = unique("will")
    watcher = Client(server.mqtt_port, unique(), version)
    watcher.subscribe(topic, 1)
    device = Client(server.mqtt_port, unique(), version, will=(topic, b"device lost", 1, False))
    device.disconnect()
    assert watcher.nothing(1.0)


def test_v5_disconnect_with_will_message_publishes_the_will(server):
    topic = unique("will")
    watcher = Client(server.mqtt_port, unique(), V5)
    watcher.subscribe(topic, 1)
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique(), will=(topic, b"sent on purpose", 1, False))
    client.disconnect(reason=0x04)
    assert watcher.get().payload == b"sent on purpose"


def test_v5_will_delay_waits_and_is_cancelled_by_reconnect(server):
    topic = unique("willdelay")
    watcher = Client(server.mqtt_port, unique(), V5)
    watcher.subscribe(topic, 1)
    client_id = unique("dev")
    will = (topic, b"late", 1, False, [(0x18, 1)])  # will delay 1 s
    first = raw.RawClient(server.mqtt_port, version=5)
    first.connect(client_id, properties=[(raw.P_SESSION_EXPIRY, 60)], will=will)
    first.close()
    # Reconnecting within the delay cancels the will.
    second = raw.RawClient(server.mqtt_port, version=5)
    second.connect(client_id, clean=False, properties=[(raw.P_SESSION_EXPIRY, 60)], will=will)
    assert watcher.nothing(1.5)
    second.close()
    started = time.time()
    assert watcher.get(timeout=5).payload == b"late"
    assert time.time() - started >= 0.8


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_keep_alive_timeout_closes_the_connection_and_sends_the_will(server, version):
    topic = unique("keepalive")
    watcher = Client(server.mqtt_port, unique(), V5)
    watcher.subscribe(topic, 1)
    client = raw.RawClient(server.mqtt_port, version=version)
    client.connect(unique(), keepalive=1, will=(topic, b"timed out", 0, False))
    started = time.time()
    assert client.closed(timeout=5)
    assert 1.2 <= time.time() - started <= 4
    assert watcher.get().payload == b"timed out"


def test_pings_keep_the_connection_alive(server):
    client = raw.RawClient(server.mqtt_port, version=4)
    client.connect(unique(), keepalive=1)
    for _ in range(4):
        time.sleep(0.5)
        client.send(raw.packet(raw.PINGREQ, 0, b""))
        client.expect(raw.PINGRESP)


def test_maximum_keep_alive_is_returned_as_server_keep_alive(server_factory):
    server = server_factory("--allow-anonymous", config_text="[limits]\nmax_keepalive = 30\n")
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique(), keepalive=600)
    assert client.connack_props[raw.P_SERVER_KEEPALIVE] == 30


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_persistent_session_queues_messages_while_offline(server, version):
    topic = unique("offline")
    client_id = unique("persistent")
    props = connect_properties(SessionExpiryInterval=300) if version == V5 else None
    sub = Client(server.mqtt_port, client_id, version, clean=False, connect_properties=props)
    sub.subscribe(topic, 1)
    sub.disconnect()
    pub = Client(server.mqtt_port, unique(), version)
    for i in range(5):
        pub.publish(topic, b"m%d" % i, qos=1)
    pub.publish(topic, b"qos0-not-queued", qos=0)
    pub.publish(unique("sync"), b"x", qos=1)  # its PUBACK means the QoS 0 message before it was routed
    back = Client(server.mqtt_port, client_id, version, clean=False, connect_properties=props)
    assert back.session_present
    assert [m.payload for m in back.get_all()] == [b"m%d" % i for i in range(5)]


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_clean_start_discards_the_old_session(server, version):
    topic = unique("clean")
    client_id = unique("c")
    props = connect_properties(SessionExpiryInterval=300) if version == V5 else None
    sub = Client(server.mqtt_port, client_id, version, clean=False, connect_properties=props)
    sub.subscribe(topic, 1)
    sub.disconnect()
    Client(server.mqtt_port, unique(), version).publish(topic, b"gone", qos=1)
    fresh = Client(server.mqtt_port, client_id, version, clean=True)
    assert not fresh.session_present
    assert fresh.nothing()


def test_v5_session_expiry_ends_the_session(server):
    client_id = unique("expiring")
    first = raw.RawClient(server.mqtt_port, version=5)
    first.connect(client_id, properties=[(raw.P_SESSION_EXPIRY, 1)])
    first.subscribe(1, [(unique(), 1)])
    first.disconnect(reason=0)
    time.sleep(2.5)
    again = raw.RawClient(server.mqtt_port, version=5)
    again.connect(client_id, clean=False, properties=[(raw.P_SESSION_EXPIRY, 1)])
    assert again.session_present == 0


def test_queue_limit_bounds_offline_messages(server_factory):
    server = server_factory("--allow-anonymous", config_text="[limits]\nmax_queued_messages = 3\nmax_inflight = 1\n")
    topic = unique("bounded")
    client_id = unique("slow")
    sub = Client(server.mqtt_port, client_id, V311, clean=False)
    sub.subscribe(topic, 1)
    sub.disconnect()
    pub = Client(server.mqtt_port, unique(), V311)
    for i in range(10):
        pub.publish(topic, b"%d" % i, qos=1)
    back = Client(server.mqtt_port, client_id, V311, clean=False)
    assert [m.payload for m in back.get_all()] == [b"0", b"1", b"2"]
    assert server.log().count("session queue full") == 1  # once per overflow, not once per message


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_session_takeover_closes_the_older_connection(server, version):
    client_id = unique("dup")
    first = raw.RawClient(server.mqtt_port, version=version)
    first.connect(client_id)
    second = raw.RawClient(server.mqtt_port, version=version)
    second.connect(client_id)
    assert first.closed()
    if version == 5:
        assert first.last_before_close.type == raw.DISCONNECT
        assert first.last_before_close.body[0] == 0x8E
    second.send(raw.packet(raw.PINGREQ, 0, b""))
    second.expect(raw.PINGRESP)


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_qos2_inbound_is_exactly_once_across_a_reconnect(server, version):
    topic = unique("qos2in")
    watcher = Client(server.mqtt_port, unique(), V5)
    watcher.subscribe(topic, 2)
    client_id = unique("pub")
    props = [(raw.P_SESSION_EXPIRY, 300)] if version == 5 else []
    first = raw.RawClient(server.mqtt_port, version=version)
    first.connect(client_id, clean=False, properties=props)
    first.publish(topic, b"exactly once", qos=2, packet_id=7)
    first.expect(raw.PUBREC)
    first.close()  # the connection drops before PUBREL
    second = raw.RawClient(server.mqtt_port, version=version)
    second.connect(client_id, clean=False, properties=props)
    assert second.session_present == 1
    second.publish(topic, b"exactly once", qos=2, packet_id=7, dup=True)
    second.expect(raw.PUBREC)
    second.ack(raw.PUBREL, 7)
    second.expect(raw.PUBCOMP)
    assert [m.payload for m in watcher.get_all()] == [b"exactly once"]


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_qos2_outbound_is_resumed_after_a_reconnect(server, version):
    topic = unique("qos2out")
    client_id = unique("sub")
    props = [(raw.P_SESSION_EXPIRY, 300)] if version == 5 else []
    first = raw.RawClient(server.mqtt_port, version=version)
    first.connect(client_id, clean=False, properties=props)
    first.subscribe(1, [(topic, 2)])
    Client(server.mqtt_port, unique(), V5).publish(topic, b"once", qos=2)
    publish = raw.parse_publish(first.expect(raw.PUBLISH), version)
    assert publish["qos"] == 2
    first.close()  # no PUBREC: the broker must resend with DUP
    second = raw.RawClient(server.mqtt_port, version=version)
    second.connect(client_id, clean=False, properties=props)
    again = raw.parse_publish(second.expect(raw.PUBLISH), version)
    assert again["dup"] and again["packet_id"] == publish["packet_id"] and again["payload"] == b"once"
    second.ack(raw.PUBREC, again["packet_id"])
    second.expect(raw.PUBREL)
    second.close()  # drops after PUBREL: the broker resends PUBREL, not the message
    third = raw.RawClient(server.mqtt_port, version=version)
    third.connect(client_id, clean=False, properties=props)
    release = third.expect(raw.PUBREL)
    third.ack(raw.PUBCOMP, again["packet_id"])
    assert third.no_packet(0.7)


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_retained_messages_and_sessions_survive_a_restart(server, version):
    topic = unique("restart")
    client_id = unique("durable")
    props = connect_properties(SessionExpiryInterval=3600) if version == V5 else None
    sub = Client(server.mqtt_port, client_id, version, clean=False, connect_properties=props)
    sub.subscribe(topic + "/queue", 1)
    sub.disconnect()
    pub = Client(server.mqtt_port, unique(), version)
    pub.publish(topic + "/retained", b"kept", qos=1, retain=True)
    pub.publish(topic + "/queue", b"queued", qos=1)
    pub.disconnect()
    server.restart()
    back = Client(server.mqtt_port, client_id, version, clean=False, connect_properties=props)
    assert back.session_present
    assert back.get().payload == b"queued"
    # The subscription itself survived: new messages arrive without subscribing again.
    Client(server.mqtt_port, unique(), version).publish(topic + "/queue", b"after restart", qos=1)
    assert back.get().payload == b"after restart"
    reader = Client(server.mqtt_port, unique(), version)
    reader.subscribe(topic + "/retained", 1)
    message = reader.get()
    assert message.payload == b"kept" and message.retain


def test_state_is_flushed_at_the_interval_and_survives_kill_9(server_factory):
    import signal
    server = server_factory("--allow-anonymous", config_text="[broker]\npersist_interval = 0.2\n")
    topic = unique("kill")
    Client(server.mqtt_port, unique(), V311).publish(topic, b"retained before kill", qos=1, retain=True)
    time.sleep(1.0)
    server.stop(sig=signal.SIGKILL)
    server.start()
    reader = Client(server.mqtt_port, unique(), V311)
    reader.subscribe(topic, 1)
    assert reader.get().payload == b"retained before kill"
