"""MQTT 5 features, each observed through a real client."""
import time

import paho.mqtt.client as mqtt
import pytest

import rawmqtt as raw
from conftest import unique
from helpers import V5, Client, connect_properties, publish_properties


def test_properties_travel_with_the_message(server):
    topic = unique("props")
    sub = Client(server.mqtt_port, unique(), V5)
    sub.subscribe(topic, 1)
    pub = Client(server.mqtt_port, unique(), V5)
    props = publish_properties(
        UserProperty=[("site", "plant-1"), ("line", "3")], ContentType="application/json",
        PayloadFormatIndicator=1, ResponseTopic=topic + "/reply", CorrelationData=b"req-42")
    pub.publish(topic, b'{"t": 21.5}', qos=1, properties=props)
    message = sub.get()
    assert message.properties.UserProperty == [("site", "plant-1"), ("line", "3")]
    assert message.properties.ContentType == "application/json"
    assert message.properties.PayloadFormatIndicator == 1
    assert message.properties.ResponseTopic == topic + "/reply"
    assert message.properties.CorrelationData == b"req-42"


def test_invalid_utf8_payload_with_format_indicator_is_refused(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.publish(unique(), b"\xff\xfe", qos=1, packet_id=3, properties=[(raw.P_PAYLOAD_FORMAT, 1)])
    ack = client.expect(raw.PUBACK)
    assert ack.body[2] == 0x99


def test_expired_messages_are_not_delivered_and_remaining_expiry_is_forwarded(server):
    topic = unique("expiry")
    client_id = unique("offline")
    sub = raw.RawClient(server.mqtt_port, version=5)
    sub.connect(client_id, properties=[(raw.P_SESSION_EXPIRY, 300)])
    sub.subscribe(1, [(topic, 1)])
    sub.disconnect(reason=0)
    pub = raw.RawClient(server.mqtt_port, version=5)
    pub.connect(unique())
    pub.publish(topic, b"short-lived", qos=1, packet_id=1, properties=[(raw.P_EXPIRY, 1)])
    pub.expect(raw.PUBACK)
    pub.publish(topic, b"long-lived", qos=1, packet_id=2, properties=[(raw.P_EXPIRY, 100)])
    pub.expect(raw.PUBACK)
    time.sleep(2.2)
    back = raw.RawClient(server.mqtt_port, version=5)
    back.connect(client_id, clean=False, properties=[(raw.P_SESSION_EXPIRY, 300)])
    message = raw.parse_publish(back.expect(raw.PUBLISH), 5)
    assert message["payload"] == b"long-lived"
    assert 95 <= message["props"][raw.P_EXPIRY] <= 99
    assert back.no_packet()


def test_inbound_topic_alias(server):
    topic = unique("alias")
    sub = Client(server.mqtt_port, unique(), V5)
    sub.subscribe(topic, 1)
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    assert client.connack_props[raw.P_TOPIC_ALIAS_MAX] > 0
    client.publish(topic, b"first", qos=1, packet_id=1, properties=[(raw.P_TOPIC_ALIAS, 1)])
    client.expect(raw.PUBACK)
    client.publish("", b"second", qos=1, packet_id=2, properties=[(raw.P_TOPIC_ALIAS, 1)])
    client.expect(raw.PUBACK)
    assert [(m.topic, m.payload) for m in sub.get_all()] == [(topic, b"first"), (topic, b"second")]


def test_unknown_inbound_topic_alias_is_a_protocol_error(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.publish("", b"x", qos=0, properties=[(raw.P_TOPIC_ALIAS, 5)])
    assert client.closed()
    assert client.last_before_close.type == raw.DISCONNECT and client.last_before_close.body[0] == 0x82


def test_outbound_topic_alias_is_used_when_the_client_allows_it(server):
    topic = unique("outalias")
    sub = raw.RawClient(server.mqtt_port, version=5)
    sub.connect(unique(), properties=[(raw.P_TOPIC_ALIAS_MAX, 10)])
    sub.subscribe(1, [(topic, 0)])
    pub = Client(server.mqtt_port, unique(), V5)
    pub.publish(topic, b"1", qos=1)
    pub.publish(topic, b"2", qos=1)
    first = raw.parse_publish(sub.expect(raw.PUBLISH), 5)
    second = raw.parse_publish(sub.expect(raw.PUBLISH), 5)
    assert first["topic"] == topic and first["props"][raw.P_TOPIC_ALIAS] == 1
    assert second["topic"] == "" and second["props"][raw.P_TOPIC_ALIAS] == 1


def test_subscription_identifiers_and_overlapping_subscriptions(server):
    topic = unique("subid") + "/x"
    sub = raw.RawClient(server.mqtt_port, version=5)
    sub.connect(unique())
    sub.subscribe(1, [(topic, 0)], properties=[(raw.P_SUB_ID, 11)])
    sub.subscribe(2, [(topic.rsplit("/", 1)[0] + "/#", 2)], properties=[(raw.P_SUB_ID, 22)])
    Client(server.mqtt_port, unique(), V5).publish(topic, b"once", qos=2)
    message = raw.parse_publish(sub.expect(raw.PUBLISH), 5)
    assert message["qos"] == 2  # the highest granted QoS of the overlapping subscriptions
    assert sorted(message["props"][raw.P_SUB_ID]) == [11, 22]
    sub.ack(raw.PUBREC, message["packet_id"])
    sub.expect(raw.PUBREL)
    sub.ack(raw.PUBCOMP, message["packet_id"])
    assert sub.no_packet()  # one copy only


def test_no_local_and_retain_as_published(server):
    topic = unique("nolocal")
    client = Client(server.mqtt_port, unique(), V5)
    client.subscribe(topic, options=mqtt.SubscribeOptions(qos=1, noLocal=True, retainAsPublished=True))
    client.publish(topic, b"mine", qos=1)
    assert client.nothing()
    Client(server.mqtt_port, unique(), V5).publish(topic, b"theirs", qos=1, retain=True)
    message = client.get()
    assert message.payload == b"theirs" and message.retain  # retain as published keeps the flag


@pytest.mark.parametrize("handling,expect_retained_again", [(0, True), (1, False), (2, False)])
def test_retain_handling(server, handling, expect_retained_again):
    topic = unique("rh")
    Client(server.mqtt_port, unique(), V5).publish(topic, b"state", qos=1, retain=True)
    client = Client(server.mqtt_port, unique(), V5)
    options = mqtt.SubscribeOptions(qos=1, retainHandling=handling)
    client.subscribe(topic, options=options)
    first = client.get_all(0.7)
    assert len(first) == (0 if handling == 2 else 1)
    client.subscribe(topic, options=options)  # the same subscription again
    again = client.get_all(0.7)
    assert len(again) == (1 if expect_retained_again else 0)


def test_receive_maximum_limits_messages_in_flight(server):
    topic = unique("flow")
    sub = raw.RawClient(server.mqtt_port, version=5)
    sub.connect(unique(), properties=[(raw.P_RECEIVE_MAX, 2)])
    sub.subscribe(1, [(topic, 1)])
    pub = Client(server.mqtt_port, unique(), V5)
    for i in range(5):
        pub.publish(topic, b"%d" % i, qos=1)
    got = [raw.parse_publish(sub.expect(raw.PUBLISH), 5) for _ in range(2)]
    assert sub.no_packet(0.7)  # the third waits for an acknowledgement
    sub.ack(raw.PUBACK, got[0]["packet_id"])
    third = raw.parse_publish(sub.expect(raw.PUBLISH), 5)
    assert [m["payload"] for m in got + [third]] == [b"0", b"1", b"2"]


def test_client_maximum_packet_size_drops_larger_messages(server):
    topic = unique("maxpkt")
    sub = raw.RawClient(server.mqtt_port, version=5)
    sub.connect(unique(), properties=[(raw.P_MAX_PACKET, 200)])
    sub.subscribe(1, [(topic, 0)])
    pub = Client(server.mqtt_port, unique(), V5)
    pub.publish(topic, b"x" * 500, qos=1)
    pub.publish(topic, b"small", qos=1)
    assert raw.parse_publish(sub.expect(raw.PUBLISH), 5)["payload"] == b"small"


def test_server_maximum_packet_size_is_advertised_and_enforced(server_factory):
    server = server_factory("--allow-anonymous", config_text="[limits]\nmax_packet_size = 1024\n")
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    assert client.connack_props[raw.P_MAX_PACKET] == 1024
    client.publish(unique(), b"y" * 2000, qos=0)
    assert client.closed()
    assert client.last_before_close.type == raw.DISCONNECT and client.last_before_close.body[0] == 0x95


def test_assigned_client_identifier_and_response_information(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect("", properties=[(0x19, 1)])
    assigned = client.connack_props[raw.P_ASSIGNED_ID]
    assert assigned
    assert client.connack_props[0x1A] == "response/" + assigned


def test_request_response_with_correlation_data(server):
    requests = unique("svc") + "/requests"
    service = Client(server.mqtt_port, unique(), V5)
    service.subscribe(requests, 1)
    caller = Client(server.mqtt_port, unique(), V5)
    reply_topic = unique("reply")
    caller.subscribe(reply_topic, 1)
    caller.publish(requests, b"ping", qos=1,
                   properties=publish_properties(ResponseTopic=reply_topic, CorrelationData=b"c-1"))
    request = service.get()
    service.publish(request.properties.ResponseTopic, b"pong", qos=1,
                    properties=publish_properties(CorrelationData=request.properties.CorrelationData))
    reply = caller.get()
    assert reply.payload == b"pong" and reply.properties.CorrelationData == b"c-1"


def test_reason_codes_for_unsubscribe_and_no_matching_subscribers(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.publish(unique("nobody"), b"x", qos=1, packet_id=9)
    assert client.expect(raw.PUBACK).body[2] == 0x10
    body = b"\x00\x05" + raw.props([]) + raw.utf8(unique("never"))
    client.send(raw.packet(raw.UNSUBSCRIBE, 2, body))
    unsuback = client.expect(raw.UNSUBACK)
    assert unsuback.body[-1] == 0x11


def test_shared_subscription_with_no_local_is_a_protocol_error(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    body = b"\x00\x01" + raw.props([]) + raw.utf8("$share/g/" + unique()) + bytes([0x05])
    client.send(raw.packet(raw.SUBSCRIBE, 2, body))
    assert client.closed()


def test_session_expiry_set_at_disconnect_after_zero_is_a_protocol_error(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.send(raw.packet(raw.DISCONNECT, 0, bytes([0]) + raw.props([(raw.P_SESSION_EXPIRY, 10)])))
    assert client.closed()
    assert client.last_before_close.type == raw.DISCONNECT and client.last_before_close.body[0] == 0x82


def test_subscription_identifier_from_a_client_is_a_protocol_error(server):
    client = raw.RawClient(server.mqtt_port, version=5)
    client.connect(unique())
    client.publish(unique(), b"x", qos=0, properties=[(raw.P_SUB_ID, 3)])
    assert client.closed()
    assert client.last_before_close.body[0] == 0x82


def test_message_too_large_for_the_client_does_not_hold_a_window_slot(server):
    topic = unique("maxpkt-q1")
    sub = raw.RawClient(server.mqtt_port, version=5)
    sub.connect(unique(), properties=[(raw.P_MAX_PACKET, 200), (raw.P_RECEIVE_MAX, 1)])
    sub.subscribe(1, [(topic, 1)])
    pub = Client(server.mqtt_port, unique(), V5)
    pub.publish(topic, b"x" * 500, qos=1)  # dropped for this client, as if delivered
    pub.publish(topic, b"small", qos=1)
    message = raw.parse_publish(sub.expect(raw.PUBLISH), 5)
    assert message["payload"] == b"small" and message["qos"] == 1
