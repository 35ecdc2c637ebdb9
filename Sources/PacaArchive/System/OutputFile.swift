import CPacaSystem
import Crypto

#if canImport(Glibc)
    import Glibc
#endif

/// A file written front to back through a buffer, hashing (SHA-256) every byte on the way out.
///
/// The archive writer never seeks, so the same bytes that reach the disk are the ones hashed for
/// the `sha256sum` sidecar, and the stream could go to a pipe or an upload as well as a file.
final class OutputFile {
    let path: String
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private var hasher = SHA256()
    private var isClosed = false
    /// Bytes written so far (buffered or not): the archive offset of the next byte.
    private(set) var position: UInt64 = 0
    /// Bytes handed to the kernel, and how far writeback has been started.
    private var written: Int64 = 0
    private var writebackStarted: Int64 = 0
    /// Writeback is started every this many bytes, so the final fsync has little left to do.
    private static let writebackStep: Int64 = 8 << 20

    /// Creates `path`, failing if it exists.
    init(creating path: String, mode: mode_t = 0o600, bufferSize: Int = 1 << 20) throws(SystemError) {
        self.path = path
        fd = try Syscall.open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        buffer = .allocate(byteCount: bufferSize, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        if !isClosed { Syscall.close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        guard bytes.count > 0 else { return }
        hasher.update(bufferPointer: bytes)
        position += UInt64(bytes.count)
        if used + bytes.count <= buffer.count {
            UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + bytes.count]).copyMemory(from: bytes)
            used += bytes.count
            return
        }
        try drain()
        if bytes.count >= buffer.count / 2 {
            try Syscall.writeAll(fd, bytes, path: path)
            wrote(bytes.count)
        } else {
            UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count]).copyMemory(from: bytes)
            used = bytes.count
        }
    }

    func write(_ bytes: [UInt8]) throws(SystemError) {
        try bytes.withBytes { (raw) throws(SystemError) in try write(raw) }
    }

    private func drain() throws(SystemError) {
        guard used > 0 else { return }
        try Syscall.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<used]), path: path)
        wrote(used)
        used = 0
    }

    /// Starts (does not wait for) writeback of what was written since the last start, so the disk
    /// works while the archive is still being compressed. Best effort: fsync at the end is what counts.
    private func wrote(_ count: Int) {
        written += Int64(count)
        if written - writebackStarted >= Self.writebackStep {
            _ = paca_start_writeback(fd, writebackStarted, written - writebackStarted)
            writebackStarted = written
        }
    }

    /// Writes what is buffered, fsyncs and closes; returns the SHA-256 of everything written, in hex.
    func finish() throws(SystemError) -> String {
        try drain()
        try Syscall.fsync(fd, path: path)
        isClosed = true
        Syscall.close(fd)
        return hasher.finalize().hexString
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal, two digits a byte.
    var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
