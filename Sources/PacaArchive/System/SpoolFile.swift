import PacaSystem

/// An anonymous temporary file for data that grows with the number of entries (the central
/// directory, the manifest), so that memory does not. Appended to through a buffer, then read
/// back front to back. The file is unlinked as soon as it is created, so nothing is left behind.
final class SpoolFile {
    private let fd: Int32
    private let label: String
    private var buffer: [UInt8] = []
    private let bufferLimit = 256 << 10
    /// Bytes appended so far.
    private(set) var count: UInt64 = 0
    private var flushed: Int64 = 0

    init(in directory: String, label: String) throws(SystemError) {
        self.label = label
        fd = try Syscall.openAnonymousFile(in: directory)
        buffer.reserveCapacity(bufferLimit)
    }

    deinit { Syscall.close(fd) }

    func append(_ bytes: [UInt8]) throws(SystemError) {
        buffer.append(contentsOf: bytes)
        count += UInt64(bytes.count)
        if buffer.count >= bufferLimit { try flush() }
    }

    private func flush() throws(SystemError) {
        guard !buffer.isEmpty else { return }
        try buffer.withBytes { (raw) throws(SystemError) in
            try Syscall.pwriteAll(fd, raw, offset: flushed, path: label)
        }
        flushed += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with the spooled bytes in order, a block at a time (the last block may be short).
    func forEachBlock(size: Int = 1 << 20, _ body: (UnsafeRawBufferPointer, _ isLast: Bool) throws(ArchiveError) -> Void)
        throws(ArchiveError)
    {
        do { try flush() } catch { throw ArchiveError(error) }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { block.deallocate() }
        var offset: Int64 = 0
        repeat {
            let want = Int(min(Int64(size), flushed - offset))
            let got: Int
            do {
                got = try Syscall.preadFully(fd, UnsafeMutableRawBufferPointer(rebasing: block[0..<want]), offset: offset, path: label)
            } catch { throw ArchiveError(error) }
            guard got == want else { throw ArchiveError(.io, "spool file \(label) is shorter than what was written to it") }
            offset += Int64(got)
            try body(UnsafeRawBufferPointer(rebasing: block[0..<got]), offset == flushed)
        } while offset < flushed
    }
}
