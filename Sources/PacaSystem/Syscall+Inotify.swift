import CPacaSystem

#if canImport(Glibc)
    import Glibc
#endif

/// One inotify event: the watch it came from, what happened, and the name in the watched folder.
public struct InotifyEvent: Sendable, Equatable {
    public var watch: Int32
    public var mask: InotifyMask
    /// The name's bytes; empty for an event about the watched folder itself.
    public var name: [UInt8]
}

/// inotify's event bits, as Swift values.
public struct InotifyMask: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let closeWrite = InotifyMask(rawValue: UInt32(IN_CLOSE_WRITE))
    public static let movedTo = InotifyMask(rawValue: UInt32(IN_MOVED_TO))
    public static let movedFrom = InotifyMask(rawValue: UInt32(IN_MOVED_FROM))
    public static let create = InotifyMask(rawValue: UInt32(IN_CREATE))
    public static let delete = InotifyMask(rawValue: UInt32(IN_DELETE))
    public static let attributes = InotifyMask(rawValue: UInt32(IN_ATTRIB))
    /// Watch-setting flags: no events for names unlinked from the folder, directories only.
    public static let excludeUnlinked = InotifyMask(rawValue: UInt32(IN_EXCL_UNLINK))
    public static let onlyDirectory = InotifyMask(rawValue: UInt32(IN_ONLYDIR))
    /// Event flags: the name is a directory; the kernel dropped events; the watch is gone.
    public static let isDirectory = InotifyMask(rawValue: UInt32(IN_ISDIR))
    public static let queueOverflow = InotifyMask(rawValue: UInt32(IN_Q_OVERFLOW))
    public static let ignored = InotifyMask(rawValue: UInt32(IN_IGNORED))
}

/// An inotify instance with an eventfd beside it, so another thread can end a blocked ``read()``.
/// One thread reads; any thread may ``interrupt()``. Both descriptors close in `deinit`.
public final class Inotify: Sendable {
    private let descriptor: Int32
    private let wakeup: Int32

    public init() throws(SystemError) {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { throw SystemError("inotify_init1", path: nil, errno: Glibc.errno) }
        let wakeup = paca_eventfd_cloexec()
        guard wakeup >= 0 else {
            let code = Glibc.errno
            Glibc.close(descriptor)
            throw SystemError("eventfd", path: nil, errno: code)
        }
        self.descriptor = descriptor
        self.wakeup = wakeup
    }

    deinit {
        Glibc.close(descriptor)
        Glibc.close(wakeup)
    }

    /// Adds (or widens) a watch on `path`; returns its number.
    public func addWatch(_ path: some SystemPathConvertible, mask: InotifyMask) throws(SystemError) -> Int32 {
        try path.withCPath { (cPath) throws(SystemError) in
            try Syscall.retrying("inotify_add_watch", path) { inotify_add_watch(descriptor, cPath, mask.rawValue) }
        }
    }

    public func removeWatch(_ watch: Int32) {
        _ = inotify_rm_watch(descriptor, watch)
    }

    /// Blocks until events arrive or ``interrupt()`` is called (then returns nil).
    public func read() throws(SystemError) -> [InotifyEvent]? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var descriptors = [
                pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeup, events: Int16(POLLIN), revents: 0),
            ]
            _ = try Syscall.retrying("poll") { poll(&descriptors, 2, -1) }
            if descriptors[1].revents != 0 { return nil }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = Glibc.errno
                if code == EINTR || code == EAGAIN { continue }
                throw SystemError("read", path: "inotify", errno: code)
            }
            return Self.parse(buffer, count: count)
        }
    }

    /// Makes the reading thread's ``read()`` return nil, now or at its next call.
    public func interrupt() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeup, &one, 8)
    }

    private static func parse(_ buffer: [UInt8], count: Int) -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset + 16 <= count {
                let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let name = Array(bytes[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 })
                events.append(InotifyEvent(watch: watch, mask: InotifyMask(rawValue: mask), name: name))
                offset += 16 + length
            }
        }
        return events
    }
}
