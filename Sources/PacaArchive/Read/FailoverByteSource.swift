import Synchronization

/// One archive kept as several identical copies (the same backup delivered to several directory
/// targets), read from the first and, where a read fails (EIO from a failing disk, a copy gone),
/// from the next: the same range of the same bytes, since every copy has the SHA-256 the catalog
/// recorded. The content checks downstream (CRC-32s, the manifest's digests) still apply to what
/// comes back, so a wrong copy cannot slip in; only an unreadable one is stepped over. Copies are
/// opened when first needed; one whose size differs from the first's is never used.
public final class FailoverByteSource: ArchiveByteSource {
    public let name: String
    public let size: UInt64
    private let paths: [String]
    /// The copies opened so far (nil: not yet, or it could not be opened) and the one that
    /// answered last, which is asked first.
    private let state: Mutex<(opened: [FileByteSource?], preferred: Int)>

    /// Opens the first copy of `paths` that opens; throws that of the first when none does.
    public init(paths: [String]) throws(ArchiveError) {
        precondition(!paths.isEmpty, "a failover source needs at least one copy")
        var firstError: ArchiveError?
        var opened: [FileByteSource?] = Array(repeating: nil, count: paths.count)
        var first: FileByteSource?
        for (index, path) in paths.enumerated() {
            do {
                first = try FileByteSource(path: path)
                opened[index] = first
                break
            } catch {
                firstError = firstError ?? error
            }
        }
        guard let first else { throw firstError! }
        name = first.name
        size = first.size
        self.paths = paths
        state = Mutex((opened, opened.firstIndex { $0 != nil }!))
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ArchiveError) -> Int {
        let start = state.withLock { $0.preferred }
        var firstError: ArchiveError?
        for step in 0..<paths.count {
            let index = (start + step) % paths.count
            guard let copy = source(index) else { continue }
            do {
                let count = try copy.read(into: buffer, at: offset)
                if step > 0 { state.withLock { $0.preferred = index } }
                return count
            } catch {
                firstError = firstError ?? error
            }
        }
        let error = firstError ?? ArchiveError(.io, "no copy of \(name) can be read")
        guard paths.count > 1 else { throw error }
        throw ArchiveError(error.code, "\(error.message) (and every other copy: \(paths.dropFirst().joined(separator: ", ")))")
    }

    /// Copy `index`, opened now if it was not, or nil when it cannot be used.
    private func source(_ index: Int) -> FileByteSource? {
        if let open = state.withLock({ $0.opened[index] }) { return open }
        guard let copy = try? FileByteSource(path: paths[index]), copy.size == size else { return nil }
        state.withLock { $0.opened[index] = copy }
        return copy
    }
}
