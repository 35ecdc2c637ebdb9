import Crypto
import PacaSystem

/// Where the bytes of an archive go, front to back, as they are written: a file
/// (``PartialArchiveFile``), an upload, or several of those at once.
///
/// The archive writer never seeks, so whatever takes these bytes in order has the whole archive.
/// Calls come from the one thread that writes the archive, in blocks of up to a megabyte.
public protocol ArchiveSink: AnyObject {
    /// Takes the next bytes of the archive. May block (an upload waiting for room); a thrown
    /// error ends the archive.
    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError)
}

/// The archive writer's end of the stream: buffers small writes into blocks for the sink, counts
/// the position (the archive offset of the next byte) and hashes every byte with SHA-256, so the
/// bytes hashed for the `sha256sum` sidecar are exactly the bytes the sink got. A sink that
/// hashes what it stores itself (``SealingSink``: the sidecar covers the encrypted bytes) is
/// given `hashes: false`, which saves a second SHA-256 pass over the archive.
final class ArchiveOutput {
    private let sink: any ArchiveSink
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private var hasher: SHA256?
    /// Bytes written so far (buffered or not).
    private(set) var position: UInt64 = 0

    init(sink: any ArchiveSink, bufferSize: Int = 1 << 20, hashes: Bool = true) {
        self.sink = sink
        hasher = hashes ? SHA256() : nil
        buffer = .allocate(byteCount: bufferSize, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard bytes.count > 0 else { return }
        hasher?.update(bufferPointer: bytes)
        position += UInt64(bytes.count)
        if used + bytes.count <= buffer.count {
            UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + bytes.count]).copyMemory(from: bytes)
            used += bytes.count
            return
        }
        try drain()
        if bytes.count >= buffer.count / 2 {
            try sink.write(bytes)
        } else {
            UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count]).copyMemory(from: bytes)
            used = bytes.count
        }
    }

    func write(_ bytes: [UInt8]) throws(ArchiveError) {
        try bytes.withBytes { (raw) throws(ArchiveError) in try write(raw) }
    }

    private func drain() throws(ArchiveError) {
        guard used > 0 else { return }
        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
        used = 0
    }

    /// Hands the sink what is buffered; returns the SHA-256 of everything written, in hex (nil
    /// when not hashing).
    func finish() throws(ArchiveError) -> String? {
        try drain()
        return hasher?.finalize().hexString
    }
}

/// A file written front to back, which starts writeback as it goes so the final fsync has little
/// left to do.
final class OutputFile {
    let path: String
    private let fd: Int32
    private var isClosed = false
    /// Bytes handed to the kernel, and how far writeback has been started.
    private var written: Int64 = 0
    private var writebackStarted: Int64 = 0
    /// Writeback is started every this many bytes.
    private static let writebackStep: Int64 = 8 << 20

    /// Creates `path`, failing if it exists.
    init(creating path: String, permissions: UInt32 = 0o600) throws(SystemError) {
        self.path = path
        fd = try Syscall.open(path, .writeOnly, options: [.create, .exclusive], permissions: permissions)
    }

    deinit {
        if !isClosed { Syscall.close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try Syscall.writeAll(fd, bytes, path: path)
        written += Int64(bytes.count)
        if written - writebackStarted >= Self.writebackStep {
            Syscall.startWriteback(fd, offset: writebackStarted, length: written - writebackStarted)
            writebackStarted = written
        }
    }

    /// Fsyncs and closes.
    func finish() throws(SystemError) {
        try Syscall.fsync(fd, path: path)
        isClosed = true
        Syscall.close(fd)
    }
}

/// An archive written as `<destination>.partial` and, once complete, given its `sha256sum`
/// sidecar and renamed into place with its directory fsynced: a crash never leaves a truncated
/// archive under the real name. Discarded (the partial file removed) unless committed.
public final class PartialArchiveFile: ArchiveSink {
    public let destination: String
    public var partialPath: String { destination + ".partial" }
    public var sidecarPath: String { destination + ".sha256" }
    private let file: OutputFile
    private var isCommitted = false

    /// Creates `<destination>.partial`, replacing one a crashed run left. Throws
    /// ``ArchiveError/Code/alreadyExists`` when `destination` itself exists.
    public init(destination: String) throws(ArchiveError) {
        self.destination = destination
        if (try? Syscall.lstat(destination)) != nil {
            throw ArchiveError(.alreadyExists, "\(destination) already exists; remove it or choose another name")
        }
        try? Syscall.unlink(destination + ".partial")
        try? Syscall.unlink(destination + ".sha256.partial")
        do { file = try OutputFile(creating: destination + ".partial") } catch { throw ArchiveError(error) }
    }

    deinit { discard() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        do { try file.write(bytes) } catch { throw ArchiveError(error) }
    }

    /// Fsyncs the archive, writes its sidecar with `sha256`, renames both into place (never over
    /// an existing archive) and fsyncs the directory.
    public func commit(sha256: String) throws(ArchiveError) {
        let sidecarPartial = sidecarPath + ".partial"
        do {
            try file.finish()
            let sidecar = try OutputFile(creating: sidecarPartial)
            try Array("\(sha256)  \(PathText.baseName(destination))\n".utf8).withBytes {
                (raw) throws(SystemError) in try sidecar.write(raw)
            }
            try sidecar.finish()
            try Syscall.renameNoReplace(partialPath, to: destination)
            isCommitted = true
            try Syscall.rename(sidecarPartial, to: sidecarPath)
            try Syscall.fsyncDirectory(PathText.directory(of: destination))
        } catch {
            try? Syscall.unlink(sidecarPartial)
            if error.isAlreadyExisting {
                throw ArchiveError(.alreadyExists, "\(destination) appeared while the archive was written; it was left as it is")
            }
            throw ArchiveError(error)
        }
    }

    /// Removes the partial file, unless the archive was committed.
    public func discard() {
        guard !isCommitted else { return }
        isCommitted = true
        try? Syscall.unlink(partialPath)
        try? Syscall.unlink(sidecarPath + ".partial")
    }
}
