import PacaArchive
import PacaSystem

/// A local or mounted directory: archives at `<root>/<set>/<backup-id>.zip`, written through
/// ``PartialArchiveFile`` (partial file, fsync, rename, directory fsync).
///
/// The root is created when the daemon starts, if missing; a root that is gone later (an
/// unmounted disk) makes deliveries fail rather than be written to the mount point's folder.
public struct DirectoryTarget: ArchiveTarget {
    public let name: String
    public let root: String

    public init(name: String, root: String) {
        self.name = name
        self.root = root
    }

    public var display: String { root }

    public func location(of key: String) -> String { root + "/" + key }

    private func failure(_ error: SystemError) -> TargetError {
        TargetError(.storage, "target \"\(name)\": \(error)", underlying: error)
    }

    private var gone: TargetError {
        TargetError(.storage, "target \"\(name)\": the directory \(root) is gone (unmounted or removed)")
    }

    /// Creates the root when it is missing (at start).
    public func prepare() async throws(TargetError) {
        let root = self.root
        do { try await BlockingPool.shared.run { () throws(SystemError) in try DurableFile.makeDirectories(root) } } catch {
            throw failure(error)
        }
    }

    public func beginUpload(_ key: String) async throws(TargetError) -> any ArchiveUpload {
        let (root, path, gone) = (self.root, location(of: key), self.gone)
        let name = self.name
        return try await BlockingPool.shared.run { () throws(TargetError) -> any ArchiveUpload in
            guard Syscall.exists(root) else { throw gone }
            do throws(SystemError) { try DurableFile.makeDirectories(PathText.directory(of: path)) } catch {
                throw TargetError(.storage, "target \"\(name)\": \(error)", underlying: error)
            }
            do throws(ArchiveError) { return DirectoryUpload(file: try PartialArchiveFile(destination: path)) } catch {
                throw TargetError(.storage, "target \"\(name)\": \(error.description)", underlying: error)
            }
        }
    }

    public func localCopy(of key: String, scratchDirectory: String) async throws(TargetError) -> LocalArchive {
        let path = location(of: key)
        guard await BlockingPool.shared.run({ Syscall.exists(path) }) else {
            throw TargetError(.storage, "target \"\(name)\": the archive \(path) is missing")
        }
        return LocalArchive(path: path, isTemporary: false)
    }

    public func list() async throws(TargetError) -> [TargetObject] {
        let (root, gone) = (self.root, self.gone)
        return try await BlockingPool.shared.run { () throws(TargetError) -> [TargetObject] in
            guard Syscall.exists(root) else { throw gone }
            var objects: [TargetObject] = []
            for set in DurableFile.names(in: root).sorted() {
                for file in DurableFile.names(in: root + "/" + set).sorted() where file.hasSuffix(".zip") {
                    guard let info = try? Syscall.lstat(root + "/" + set + "/" + file), info.kind == .regular else { continue }
                    objects.append(TargetObject(key: set + "/" + file, size: UInt64(info.size)))
                }
            }
            return objects
        }
    }

    public func read(_ key: String, range: ClosedRange<UInt64>) async throws(TargetError) -> [UInt8] {
        let path = location(of: key)
        do {
            return try await BlockingPool.shared.run { () throws(SystemError) -> [UInt8] in
                let fd = try Syscall.open(path, .readOnly)
                defer { Syscall.close(fd) }
                var bytes = [UInt8](repeating: 0, count: Int(range.count))
                let done = try bytes.withMutableBytes { (raw) throws(SystemError) in
                    try Syscall.preadFully(fd, raw, offset: Int64(range.lowerBound), path: path)
                }
                return Array(bytes[..<done])
            }
        } catch {
            throw failure(error)
        }
    }

    public func remove(_ key: String) async throws(TargetError) {
        let path = location(of: key)
        do {
            try await BlockingPool.shared.run { () throws(SystemError) in
                try DurableFile.remove(path)
                try DurableFile.remove(path + ".sha256")
                DurableFile.syncDirectory(of: path)
            }
        } catch {
            throw failure(error)
        }
    }

    public func check() async -> TargetCheck {
        let root = self.root
        return await BlockingPool.shared.run { () -> TargetCheck in
            let free: UInt64
            do throws(SystemError) { free = try Syscall.availableBytes(root) } catch {
                return TargetCheck(problem: "the directory \(root) is not reachable: \(error.reason)")
            }
            guard Syscall.isWritable(root) else { return TargetCheck(problem: "the directory \(root) is not writable", freeBytes: free) }
            return TargetCheck(freeBytes: free)
        }
    }

    public func sweep() async throws(TargetError) -> [String] {
        let root = self.root
        return await BlockingPool.shared.run { () -> [String] in
            var removed: [String] = []
            for set in DurableFile.names(in: root) {
                for file in DurableFile.names(in: root + "/" + set) where file.hasSuffix(".partial") {
                    let path = root + "/" + set + "/" + file
                    if (try? DurableFile.remove(path)) == true { removed.append(path) }
                }
            }
            return removed
        }
    }
}

/// A directory delivery: the partial file, committed by rename. Unchecked Sendable: an upload is
/// handed from the thread that opens it to the one that writes it, never shared.
final class DirectoryUpload: ArchiveUpload, @unchecked Sendable {
    private let file: PartialArchiveFile

    init(file: PartialArchiveFile) { self.file = file }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) { try file.write(bytes) }
    func commit(sha256: String) throws(ArchiveError) { try file.commit(sha256: sha256) }
    func abandon() { file.discard() }
    var localPartialPath: String? { file.partialPath }
}
