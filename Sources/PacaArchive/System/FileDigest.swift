import Crypto
import PacaSystem

/// Reads a file front to back in blocks, handing each to a consumer and hashing it: copying an
/// archive somewhere while checking it against its recorded SHA-256 in one pass.
public enum FileDigest {
    /// Calls `body` with each block of `path` in order; returns the SHA-256 of the file, hex.
    public static func stream(
        _ path: String, blockSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void
    ) throws(ArchiveError) -> String {
        let fd: Int32
        do { fd = try Syscall.open(path, .readOnly) } catch { throw ArchiveError(error) }
        defer { Syscall.close(fd) }
        return try stream(descriptor: fd, path: path, blockSize: blockSize, body)
    }

    /// The same from an open descriptor, from its current offset to the end (`path` names it in errors).
    public static func stream(
        descriptor fd: Int32, path: String, blockSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void
    ) throws(ArchiveError) -> String {
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do { count = try Syscall.read(fd, buffer, path: path) } catch { throw ArchiveError(error) }
            if count == 0 { break }
            let block = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: block)
            try body(block)
        }
        return hasher.finalize().hexString
    }
}
