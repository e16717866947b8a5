import MQTTCodec

/// Keeps PUBACK/PUBREC in the order the PUBLISH packets came (MQTT 5 §4.6) when some of them wait for
/// storage: an acknowledgement is sent only when every earlier one has been.
struct AcknowledgementQueue {
    private var entries: [(token: UInt64, packet: PublishAckPacket?)] = []
    private var head = 0
    private var nextToken: UInt64 = 0

    var isEmpty: Bool { self.head == self.entries.count }

    /// Reserves a place for an acknowledgement that is decided later.
    mutating func reserve() -> UInt64 {
        self.nextToken += 1
        self.entries.append((self.nextToken, nil))
        return self.nextToken
    }

    /// Queues an acknowledgement that is ready now; returns what may be sent (it alone when nothing waits).
    mutating func ready(_ packet: PublishAckPacket) -> [PublishAckPacket] {
        if self.isEmpty { return [packet] }
        self.nextToken += 1
        self.entries.append((self.nextToken, packet))
        return []
    }

    /// Fills a reserved place; returns the acknowledgements that may now be sent, in order.
    mutating func complete(_ token: UInt64, with packet: PublishAckPacket) -> [PublishAckPacket] {
        guard let index = self.entries[self.head...].firstIndex(where: { $0.token == token }) else { return [] }
        self.entries[index].packet = packet
        var sendable: [PublishAckPacket] = []
        while self.head < self.entries.count, let ready = self.entries[self.head].packet {
            sendable.append(ready)
            self.head += 1
        }
        if self.head == self.entries.count {
            self.entries.removeAll(keepingCapacity: true)
            self.head = 0
        } else if self.head > 1024 {
            self.entries.removeFirst(self.head)
            self.head = 0
        }
        return sendable
    }
}
