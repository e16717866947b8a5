/// A growable byte buffer for the hot write path: varints and fixed-width values are stored straight into
/// raw memory, without the per-byte uniqueness checks of `Array.append`.
struct ByteSink: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit {
        self.base.deallocate()
    }

    @inline(__always) private mutating func reserve(_ extra: Int) {
        guard self.count + extra > self.capacity else { return }
        var capacity = self.capacity * 2
        while capacity < self.count + extra { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.moveInitialize(from: self.base, count: self.count)
        self.base.deallocate()
        self.base = grown
        self.capacity = capacity
    }

    @inline(__always) mutating func byte(_ value: UInt8) {
        self.reserve(1)
        self.base[self.count] = value
        self.count += 1
    }

    @inline(__always) mutating func varint(_ value: UInt64) {
        self.reserve(10)
        var rest = value
        while rest >= 0x80 {
            self.base[self.count] = UInt8(truncatingIfNeeded: rest) | 0x80
            self.count += 1
            rest >>= 7
        }
        self.base[self.count] = UInt8(rest)
        self.count += 1
    }

    @inline(__always) mutating func fixed64(_ value: UInt64) {
        self.reserve(8)
        UnsafeMutableRawPointer(self.base + self.count).storeBytes(of: value.littleEndian, as: UInt64.self)
        self.count += 8
    }

    mutating func string(_ value: String) {
        var text = value
        text.withUTF8 { utf8 in
            self.varint(UInt64(utf8.count))
            self.reserve(utf8.count)
            if let source = utf8.baseAddress { (self.base + self.count).update(from: source, count: utf8.count) }
            self.count += utf8.count
        }
    }

    /// The bytes written, as an array.
    func bytes() -> [UInt8] {
        Array(UnsafeBufferPointer(start: self.base, count: self.count))
    }
}
