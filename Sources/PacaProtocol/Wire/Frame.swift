public import PacaCore

/// The wire framing: every message is a 4-byte unsigned big-endian length N, then N bytes of
/// UTF-8 JSON. One exception: a reply whose result has a member `attached` (N) is followed at
/// once by a frame of N raw bytes (``WireAttaching``). Pure code, shared by the daemon's server
/// and `pacactl`'s client.
public enum Frame {
    /// The default largest payload either side accepts: 16 MiB.
    public static let defaultMaximumSize = 16 << 20

    /// The frame for `payload`: its length, big-endian, then the payload.
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        header(payload.count) + payload
    }

    /// The 4-byte length prefix of a frame of `count` bytes.
    public static func header(_ count: Int) -> [UInt8] {
        let n = UInt32(count)
        return [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
    }

    /// The number of raw bytes announced to follow a reply whose result is `result`, or nil.
    public static func attachedCount(_ result: JSONValue) -> Int? {
        guard case .object(let members) = result, case .int(let count)? = members["attached"], count >= 0 else { return nil }
        return Int(count)
    }
}

/// A result that may carry raw bytes to send after its reply, in a frame of their own (only
/// `restore.read` with `binary`): the reply's `attached` member gives their count.
public protocol WireAttaching {
    var attachment: [UInt8]? { get }
}

/// A frame the decoder refuses.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The length prefix announces more than the limit; the connection cannot be resynchronised.
    case tooLarge(length: Int, limit: Int)

    public var description: String {
        switch self {
        case .tooLarge(let length, let limit): "frame of \(length) bytes is over the \(limit)-byte limit"
        }
    }
}

/// Splits a byte stream into frames, however the bytes arrive (one at a time or many frames at
/// once). Holds at most one partial frame; refuses a length over `maximumSize` as soon as the
/// 4-byte prefix is seen, before buffering anything of it.
public struct FrameDecoder: Sendable {
    public let maximumSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maximumSize: Int = Frame.defaultMaximumSize) {
        self.maximumSize = maximumSize
    }

    /// Bytes received but not yet returned as a frame.
    public var pendingByteCount: Int { buffer.count - start }

    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame's payload, or nil until more bytes arrive.
    public mutating func next() throws(FrameError) -> [UInt8]? {
        guard pendingByteCount >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length <= maximumSize else { throw .tooLarge(length: length, limit: maximumSize) }
        guard pendingByteCount >= 4 + length else { return nil }
        let payload = Array(buffer[(start + 4)..<(start + 4 + length)])
        start += 4 + length
        if start > 64 << 10 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return payload
    }
}
