import CPacaSystem
import PacaArchive
import PacaCore

#if canImport(Glibc)
    import Glibc
#endif

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

    /// Creates the root when it is missing (at start).
    public func prepare() async throws(EngineError) {
        let root = self.root
        try await BlockingWork.run("target-prepare") { () -> Result<Void, EngineError> in
            Result { () throws(EngineError) in try StateFile.makeDirectories(root) }
        }.get()
    }

    public func beginUpload(_ key: String) async throws(EngineError) -> any ArchiveUpload {
        let root = self.root
        let name = self.name
        let path = location(of: key)
        return try await BlockingWork.run("target-upload") { () -> Result<any ArchiveUpload, EngineError> in
            Result { () throws(EngineError) -> any ArchiveUpload in
                guard StateFile.exists(root) else {
                    throw EngineError(.storage, "target \"\(name)\": the directory \(root) is gone (unmounted or removed)")
                }
                try StateFile.makeDirectories(PathText.directory(of: path))
                do throws(ArchiveError) { return DirectoryUpload(file: try PartialArchiveFile(destination: path)) } catch {
                    throw EngineError(.storage, "target \"\(name)\": \(error.description)")
                }
            }
        }.get()
    }

    public func localCopy(of key: String, scratchDirectory: String) async throws(EngineError) -> LocalArchive {
        let path = location(of: key)
        let exists = await BlockingWork.run("target-stat") { StateFile.exists(path) }
        guard exists else { throw EngineError(.storage, "target \"\(name)\": the archive \(path) is missing") }
        return LocalArchive(path: path, isTemporary: false)
    }

    public func list() async throws(EngineError) -> [TargetObject] {
        let root = self.root
        let name = self.name
        return try await BlockingWork.run("target-list") { () -> Result<[TargetObject], EngineError> in
            guard StateFile.exists(root) else {
                return .failure(EngineError(.storage, "target \"\(name)\": the directory \(root) is gone (unmounted or removed)"))
            }
            var objects: [TargetObject] = []
            for set in StateFile.names(in: root).sorted() {
                for file in StateFile.names(in: root + "/" + set).sorted() where file.hasSuffix(".zip") {
                    var info = stat()
                    guard lstat(root + "/" + set + "/" + file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                    objects.append(TargetObject(key: set + "/" + file, size: UInt64(info.st_size)))
                }
            }
            return .success(objects)
        }.get()
    }

    public func read(_ key: String, range: ClosedRange<UInt64>) async throws(EngineError) -> [UInt8] {
        let path = location(of: key)
        let name = self.name
        return try await BlockingWork.run("target-read") { () -> Result<[UInt8], EngineError> in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return .failure(EngineError(.storage, "target \"\(name)\": cannot open \(path): \(String(cString: strerror(errno)))")) }
            defer { close(fd) }
            var bytes = [UInt8](repeating: 0, count: Int(range.count))
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(range.lowerBound) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                done += n
            }
            return .success(Array(bytes[..<done]))
        }.get()
    }

    public func remove(_ key: String) async throws(EngineError) {
        let path = location(of: key)
        try await BlockingWork.run("target-remove") { () -> Result<Void, EngineError> in
            Result { () throws(EngineError) in
                try StateFile.remove(path)
                try StateFile.remove(path + ".sha256")
                StateFile.syncDirectory(of: path)
            }
        }.get()
    }

    public func check() async -> TargetCheck {
        let root = self.root
        return await BlockingWork.run("target-check") { () -> TargetCheck in
            var info = statvfs()
            guard statvfs(root, &info) == 0 else {
                return TargetCheck(problem: "the directory \(root) is not reachable: \(String(cString: strerror(errno)))")
            }
            let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
            guard access(root, W_OK) == 0 else { return TargetCheck(problem: "the directory \(root) is not writable", freeBytes: free) }
            return TargetCheck(freeBytes: free)
        }
    }

    public func sweep() async throws(EngineError) -> [String] {
        let root = self.root
        return await BlockingWork.run("target-sweep") { () -> [String] in
            var removed: [String] = []
            for set in StateFile.names(in: root) {
                for file in StateFile.names(in: root + "/" + set) where file.hasSuffix(".partial") {
                    let path = root + "/" + set + "/" + file
                    if (try? StateFile.remove(path)) == true { removed.append(path) }
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
