"""Publish/subscribe through the real server with paho-mqtt and the mosquitto clients, both versions."""
import subprocess
import time

import pytest

import rawmqtt as raw
from conftest import unique
from helpers import V5, V311, VERSIONS, Client, mosquitto, version_id


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_message_reaches_subscriber_at_each_qos(server, version, qos):
    topic = unique("pubsub") + "/a"
    sub = Client(server.mqtt_port, unique("sub"), version)
    sub.subscribe(topic, qos)
    pub = Client(server.mqtt_port, unique("pub"), version)
    pub.publish(topic, b"payload-%d" % qos, qos=qos)
    message = sub.get()
    assert message.topic == topic
    assert message.payload == b"payload-%d" % qos
    assert message.qos == qos
    assert sub.nothing()


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_granted_qos_is_the_requested_one(server, version):
    sub = Client(server.mqtt_port, unique(), version)
    codes = sub.subscribe(unique() + "/#", 2)
    assert [int(getattr(c, "value", c)) for c in codes] == [2]


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_wildcards_match_like_mosquitto(server, version):
    base = unique("wild")
    sub = Client(server.mqtt_port, unique(), version)
    sub.subscribe(base + "/+/temp", 0)
    sub.subscribe(base + "/floor/#", 0)
    pub = Client(server.mqtt_port, unique(), version)
    for topic in [base + "/a/temp", base + "/a/b/temp", base + "/floor", base + "/floor/x/y", base + "/other"]:
        pub.publish(topic, topic.encode(), qos=1)
    got = sorted(m.topic for m in sub.get_all())
    assert got == sorted([base + "/a/temp", base + "/floor", base + "/floor/x/y"])


def test_mosquitto_topics_with_leading_slash_and_hash(server):
    sub = Client(server.mqtt_port, unique(), V311)
    sub.subscribe("#", 0)
    pub = Client(server.mqtt_port, unique(), V311)
    for topic in ["TopicA/B", "/TopicA", "TopicA/C"]:
        pub.publish(topic, b"x", qos=1)
    got = {m.topic for m in sub.get_all() if not m.topic.startswith("$")}
    assert {"TopicA/B", "/TopicA", "TopicA/C"} <= got


def test_dollar_topics_are_not_matched_by_leading_wildcards(server):
    hash_sub = Client(server.mqtt_port, unique(), V5)
    hash_sub.subscribe("#", 0)
    plus_sub = Client(server.mqtt_port, unique(), V5)
    plus_sub.subscribe("+/broker/uptime", 0)
    sys_sub = Client(server.mqtt_port, unique(), V5)
    sys_sub.subscribe("$SYS/broker/uptime", 0)
    assert sys_sub.get().payload.endswith(b"seconds")
    assert not [m for m in hash_sub.get_all(0.5) if m.topic.startswith("$")]
    assert plus_sub.nothing()


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_retained_message_reaches_new_subscriber_and_is_cleared(server, version):
    topic = unique("retain") + "/state"
    pub = Client(server.mqtt_port, unique(), version)
    pub.publish(topic, b"on", qos=1, retain=True)
    late = Client(server.mqtt_port, unique(), version)
    late.subscribe(topic, 1)
    message = late.get()
    assert message.payload == b"on" and message.retain
    # An empty retained message clears it.
    pub.publish(topic, b"", qos=1, retain=True)
    later = Client(server.mqtt_port, unique(), version)
    later.subscribe(topic, 1)
    assert later.nothing()


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_retain_flag_is_cleared_for_established_subscriptions(server, version):
    topic = unique("retain2")
    sub = Client(server.mqtt_port, unique(), version)
    sub.subscribe(topic, 1)
    Client(server.mqtt_port, unique(), version).publish(topic, b"v", qos=1, retain=True)
    assert sub.get().retain is False


def test_mosquitto_command_line_clients(server):
    topic = unique("cli") + "/x"
    sub = subprocess.Popen(["mosquitto_sub", "-p", str(server.mqtt_port), "-t", topic, "-C", "2", "-v", "-q", "1"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    for version in ["mqttv311", "mqttv5"]:
        result = mosquitto("mosquitto_pub", "-p", str(server.mqtt_port), "-t", topic, "-m", version, "-q", "2",
                           "-V", version)
        assert result.returncode == 0, result.stderr
    out, _ = sub.communicate(timeout=10)
    assert out.splitlines() == [topic + " mqttv311", topic + " mqttv5"]


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_unsubscribe_stops_delivery(server, version):
    topic = unique("unsub")
    sub = Client(server.mqtt_port, unique(), version)
    sub.subscribe(topic, 1)
    sub.client.unsubscribe(topic)
    time.sleep(0.3)
    Client(server.mqtt_port, unique(), version).publish(topic, b"x", qos=1)
    assert sub.nothing()


@pytest.mark.parametrize("version", VERSIONS, ids=version_id)
def test_shared_subscription_delivers_each_message_to_one_member(server, version):
    topic = unique("shared") + "/jobs"
    members = [Client(server.mqtt_port, unique(), version) for _ in range(2)]
    for member in members:
        member.subscribe("$share/workers/" + topic, 1)
    plain = Client(server.mqtt_port, unique(), version)
    plain.subscribe(topic, 1)
    pub = Client(server.mqtt_port, unique(), version)
    for i in range(20):
        pub.publish(topic, b"%d" % i, qos=1)
    received = [m.payload for member in members for m in member.get_all()]
    assert sorted(received) == sorted(b"%d" % i for i in range(20))
    assert all(len(member.get_all(0.1)) == 0 for member in members)
    assert len(plain.get_all()) == 20


def test_mqtt_over_websocket_and_across_transports(server):
    topic = unique("ws")
    sub = Client(server.ws_port, unique(), V311, transport="websockets")
    sub.subscribe(topic, 1)
    pub = Client(server.ws_port, unique(), V5, transport="websockets")
    pub.publish(topic, b"over websocket", qos=1)
    assert sub.get().payload == b"over websocket"
    # Across transports too.
    Client(server.mqtt_port, unique(), V5).publish(topic, b"from tcp", qos=1)
    assert sub.get().payload == b"from tcp"


def test_sys_topics_report_broker_statistics(server_factory):
    server = server_factory("--allow-anonymous", config_text="[broker]\nsys_interval = 0.2\n")
    sub = Client(server.mqtt_port, unique(), V5)
    sub.subscribe("$SYS/broker/#", 0)
    time.sleep(1.0)
    topics = {m.topic: m.payload for m in sub.get_all(0.3, limit=1.0)}
    for name in ["$SYS/broker/clients/connected", "$SYS/broker/messages/received", "$SYS/broker/messages/sent",
                 "$SYS/broker/bytes/received", "$SYS/broker/uptime", "$SYS/broker/subscriptions/count",
                 "$SYS/broker/retained messages/count", "$SYS/broker/version"]:
        assert name in topics, name
    assert int(topics["$SYS/broker/clients/connected"]) >= 1


def test_clients_cannot_publish_to_sys_topics(server):
    watcher = Client(server.mqtt_port, unique(), V5)
    watcher.subscribe("$SYS/broker/fake", 0)
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.publish("$SYS/broker/fake", b"forged", qos=1, packet_id=4)
    assert client.expect(raw.PUBACK).body[2] == 0x87
    assert watcher.nothing()
    # Other $ topics are usable; they are just not matched by leading wildcards.
    client.publish("$app/x", b"fine", qos=1, packet_id=5)
    assert client.expect(raw.PUBACK).body[2] in (0x00, 0x10)
