import Foundation
import PacaFiles
import PacaTestSupport
import Synchronization
import Testing

/// The file index: manifests in, trees, histories and differences out, as changes only.
@Suite struct FileIndexTests {
    /// A manifest as pacad writes it: header line, one entry per line, closing line.
    static func manifest(_ id: String, _ entries: [(path: String, kind: String, size: Int, sha: String?)]) -> String {
        var text =
            "{\"format\":\"paca.manifest\",\"version\":3,\"backup_id\":\"\(id)\",\"set\":\"work\",\"created_at\":\"2026-12-05T10:00:00Z\",\"parent\":null,\"entries\":[\n"
        text += entries.map { entry in
            var line =
                "{\"path\":\"\(entry.path)\",\"type\":\"\(entry.kind)\",\"size\":\(entry.size),\"mode\":\"0644\",\"mtime\":1796500000"
            if let sha = entry.sha { line += ",\"sha256\":\"\(sha)\"" }
            return line + "}"
        }.joined(separator: ",\n")
        text += "\n],\"kind\":\"full\",\"references\":[],\"entry_count\":\(entries.count),\"bytes\":0}\n"
        return text
    }

    static func digest(_ n: Int) -> String { String(repeating: String(format: "%02x", n % 256), count: 32) }

    func ingest(_ index: FileIndex, _ id: String, _ sequence: Int64, _ entries: [(path: String, kind: String, size: Int, sha: String?)])
        async throws
    {
        try Self.manifest(id, entries).write(toFile: index.manifestPath(id: id), atomically: true, encoding: .utf8)
        await index.submit(id: id, set: "work", sequence: sequence, createdAt: 0)
        await index.settle()
    }

    @Test func treesHistoriesAndDifferencesComeFromChanges() async throws {
        let folder = TemporaryFolder()
        let index = try await FileIndex.open(stateDirectory: folder.path, logger: quietLogger)
        // src/ with a config that changes, a file that goes, one that comes back, and a folder of 3.
        try await ingest(
            index, "b1", 10,
            [
                ("src", "directory", 0, nil), ("src/config.yaml", "file", 3, Self.digest(1)), ("src/old.txt", "file", 5, Self.digest(2)),
                ("src/data", "directory", 0, nil), ("src/data/a", "file", 1, Self.digest(3)), ("src/data/b", "file", 1, Self.digest(4)),
            ])
        try await ingest(
            index, "b2", 11,
            [
                ("src", "directory", 0, nil), ("src/config.yaml", "file", 10, Self.digest(5)), ("src/data", "directory", 0, nil),
                ("src/data/a", "file", 1, Self.digest(3)), ("src/data/b", "file", 1, Self.digest(4)),
                ("src/new.txt", "file", 4, Self.digest(6)),
            ])
        try await ingest(
            index, "b3", 14,
            [
                ("src", "directory", 0, nil), ("src/config.yaml", "file", 10, Self.digest(5)), ("src/old.txt", "file", 5, Self.digest(2)),
                ("src/data", "directory", 0, nil), ("src/data/a", "file", 1, Self.digest(3)), ("src/data/b", "file", 1, Self.digest(4)),
                ("src/new.txt", "file", 4, Self.digest(6)),
            ])
        #expect(await index.lastProblem == nil)
        #expect(try await index.backups(set: "work").map(\.backupID) == ["b1", "b2", "b3"])

        // Each backup's tree is its own, though only changes were stored.
        #expect(
            try await index.children(set: "work", sequence: 10, directory: "src", after: nil, limit: 100)?.map(\.name) == [
                "config.yaml", "data", "old.txt",
            ])
        #expect(
            try await index.children(set: "work", sequence: 11, directory: "src", after: nil, limit: 100)?.map(\.name) == [
                "config.yaml", "data", "new.txt",
            ])
        #expect(
            try await index.children(set: "work", sequence: 14, directory: "src", after: nil, limit: 100)?.map(\.name) == [
                "config.yaml", "data", "new.txt", "old.txt",
            ])
        let first = try #require(try await index.children(set: "work", sequence: 10, directory: "src", after: nil, limit: 100)?.first)
        #expect(first.size == 3 && first.sha256 == Self.digest(1))
        #expect(
            try await index.children(set: "work", sequence: 11, directory: "src/data", after: "a", limit: 100)?.map(\.name) == ["b"],
            "paging by name")
        #expect(try await index.children(set: "work", sequence: 11, directory: "nowhere", after: nil, limit: 100) == nil)
        #expect(try await index.children(set: "work", sequence: 11, directory: "", after: nil, limit: 100)?.map(\.name) == ["src"])

        // A history lists the backups in which the path changed, and when it went and came back.
        let config = try #require(try await index.history(set: "work", path: "src/config.yaml")?.versions.reversed())
        #expect(config.map(\.backupID) == ["b1", "b2"])
        #expect(config.map(\.change) == [.added, .modified])
        #expect(config.map { $0.entry?.size } == [3, 10])
        let old = try #require(try await index.history(set: "work", path: "src/old.txt")?.versions.reversed())
        #expect(old.map(\.change) == [.added, .removed, .added])
        #expect(old.map(\.backupID) == ["b1", "b2", "b3"])
        let page = try #require(try await index.history(set: "work", path: "src/old.txt", limit: 2))
        #expect(page.versions.map(\.change) == [.added, .removed] && page.next == 11, "newest first, a page at a time")
        let rest = try #require(try await index.history(set: "work", path: "src/old.txt", before: page.next, limit: 2))
        #expect(rest.versions.map(\.backupID) == ["b1"] && rest.versions.first?.change == .added && rest.next == nil)
        #expect(try await index.history(set: "work", path: "src/never") == nil)
        #expect(try await index.history(set: "other", path: "src/config.yaml") == nil)

        // Differences between any two backups, not only neighbours.
        let one = try #require(try await index.changes(set: "work", from: 10, to: 11, after: 0, limit: 100))
        #expect(
            one.changes.map { "\($0.kind.rawValue) \($0.path)" } == [
                "modified src/config.yaml", "added src/new.txt", "removed src/old.txt",
            ])
        #expect(one.next == nil)
        let wide = try #require(try await index.changes(set: "work", from: 10, to: 14, after: 0, limit: 100))
        #expect(
            wide.changes.map { "\($0.kind.rawValue) \($0.path)" } == ["modified src/config.yaml", "added src/new.txt"],
            "old.txt went and came back: no change")
        let paged = try #require(try await index.changes(set: "work", from: 10, to: 11, after: 0, limit: 1))
        #expect(paged.changes.count == 1 && paged.next != nil)
    }

    @Test func anOlderBackupAfterANewerOneIsLeftOutAndSaysSo() async throws {
        let folder = TemporaryFolder()
        let index = try await FileIndex.open(stateDirectory: folder.path, logger: quietLogger)
        try await ingest(index, "b5", 5, [("src", "directory", 0, nil)])
        try await ingest(index, "b4", 4, [("src", "directory", 0, nil), ("src/x", "file", 1, Self.digest(1))])
        #expect(try await index.backups(set: "work").map(\.backupID) == ["b5"])
        #expect(await index.lastProblem?.contains("older than the newest backup") == true)
        #expect(!FileManager.default.fileExists(atPath: index.manifestPath(id: "b4")), "the copy is removed either way")
    }

    @Test func aBrokenManifestCopyChangesNothing() async throws {
        let folder = TemporaryFolder()
        let index = try await FileIndex.open(stateDirectory: folder.path, logger: quietLogger)
        try await ingest(index, "b1", 1, [("src", "directory", 0, nil), ("src/a", "file", 1, Self.digest(1))])
        let whole = Self.manifest("b2", [("src", "directory", 0, nil), ("src/b", "file", 1, Self.digest(2))])
        for (sequence, broken) in [(2, String(whole.dropLast(40))), (3, String(whole.dropLast(70)))] {
            try broken.write(toFile: index.manifestPath(id: "b2"), atomically: true, encoding: .utf8)
            await index.submit(id: "b2", set: "work", sequence: Int64(sequence), createdAt: 0)
            await index.settle()
            let problem = await index.lastProblem ?? ""
            #expect(
                problem.contains("does not match its") || problem.contains("ends before its closing line")
                    || problem.contains("is not an entry"),
                Comment(rawValue: problem))
        }
        #expect(try await index.backups(set: "work").map(\.backupID) == ["b1"])
        #expect(try await index.history(set: "work", path: "src/a")?.versions.count == 1, "the rolled-back ingest left no version behind")
        #expect(try await index.history(set: "work", path: "src/b") == nil)
    }

    @Test func aCopyWithoutASequenceIsDropped() async throws {
        let folder = TemporaryFolder()
        let index = try await FileIndex.open(stateDirectory: folder.path, logger: quietLogger)
        try Self.manifest("b1", []).write(toFile: index.manifestPath(id: "b1"), atomically: true, encoding: .utf8)
        await index.submit(id: "b1", set: "work", sequence: nil, createdAt: 0)
        #expect(!FileManager.default.fileExists(atPath: index.manifestPath(id: "b1")))
    }

    /// At start: copies a stop left are queued, backups the index lacks are read from their
    /// archives (in catalog order with the copies), and what cannot be added is left alone.
    @Test func resumeQueuesCopiesAndReadsTheRestFromArchives() async throws {
        let folder = TemporaryFolder()
        let index = try await FileIndex.open(stateDirectory: folder.path, logger: quietLogger)
        try await ingest(index, "b2", 2, [("src", "directory", 0, nil), ("src/a", "file", 1, Self.digest(1))])
        let copies: [(String, [(path: String, kind: String, size: Int, sha: String?)])] = [
            ("b4", [("src", "directory", 0, nil), ("src/a", "file", 2, Self.digest(2))]),
            ("ghost", []),
        ]
        for (id, entries) in copies {
            try Self.manifest(id, entries).write(toFile: index.manifestPath(id: id), atomically: true, encoding: .utf8)
        }
        let archives: [String: [(path: String, kind: String, size: Int, sha: String?)]] = [
            "b1": [("src", "directory", 0, nil), ("src/a", "file", 9, Self.digest(9))],
            "b3": [("src", "directory", 0, nil), ("src/a", "file", 1, Self.digest(1)), ("src/b", "file", 1, Self.digest(3))],
            "b5": [("src", "directory", 0, nil), ("src/a", "file", 5, Self.digest(5))],
        ]
        let fetched = Mutex<[String]>([])
        func backup(_ id: String, _ sequence: Int64, sealed: Bool = false) -> FileIndex.CatalogBackup {
            FileIndex.CatalogBackup(id: id, set: "work", sequence: sequence, createdAt: sequence * 100, sealed: sealed)
        }
        let resumed = await index.resume(
            catalog: [backup("b5", 5), backup("b1", 1), backup("b2", 2), backup("b3", 3), backup("b4", 4), backup("b6", 6, sealed: true)]
        ) { (id, destination) throws(FileIndexError) in
            fetched.withLock { $0.append(id) }
            guard let entries = archives[id] else { throw FileIndexError("no archive") }
            if id == "b5" { throw FileIndexError("the target of b5 is unreachable") }
            do { try Self.manifest(id, entries).write(toFile: destination, atomically: true, encoding: .utf8) } catch {
                throw FileIndexError("\(error)")
            }
        }
        await index.settle()
        #expect(resumed.copies == 1 && resumed.fromArchives == 2 && resumed.dropped == 1, "\(resumed)")
        // b1 is older than b2, which the index holds: it cannot be added without rebuilding the set.
        #expect(fetched.withLock { $0 } == ["b3", "b5"])
        #expect(try await index.backups(set: "work").map(\.backupID) == ["b2", "b3", "b4"])
        #expect(try await index.history(set: "work", path: "src/a")?.versions.map(\.entry?.size) == [2, 1])
        #expect(try await index.history(set: "work", path: "src/b")?.versions.map(\.change) == [.removed, .added])
        #expect(await index.lastProblem?.contains("the target of b5 is unreachable") == true)
        #expect(!FileManager.default.fileExists(atPath: index.manifestPath(id: "ghost")))
        #expect(!FileManager.default.fileExists(atPath: index.manifestPath(id: "b5")))
    }
}
