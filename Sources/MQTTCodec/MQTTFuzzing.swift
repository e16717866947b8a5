import NIOCore

/// What the fuzzer runs, kept in the codec so that regression tests replay exactly the same code.
public enum MQTTFuzzing {
    /// Frames `input` and decodes every frame as MQTT 3.1.1 and 5.0, re-encoding what decodes.
    /// Must never trap, whatever the input.
    public static func decodeAll(_ input: ByteBuffer) {
        var buffer = input
        let decoder = MQTTFrameDecoder(maximumPacketSize: 1 << 16)
        while true {
            guard let frame = try? decoder.decodeFrame(&buffer) else { return }
            for version in [ProtocolVersion.v3_1_1, .v5] {
                guard let packet = try? MQTTPacket.decode(frame, version: version) else { continue }
                // What decodes must encode again without trapping.
                var out = ByteBuffer()
                packet.write(to: &out, version: version)
            }
        }
    }
}
