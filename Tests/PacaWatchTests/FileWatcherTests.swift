import Foundation
import PacaConfig
import PacaCore
import PacaTestSupport
import Testing

@testable import PacaWatch

/// A watcher whose events arrive on a stream, read until an expected event shows up. inotify keeps
/// the order of events, so "X was not reported" is checked by writing a sentinel file after X and
/// reading up to the sentinel's event: no fixed sleeps.
final class WatchProbe: Sendable {
    let events: AsyncStream<FileWatcher.Event>
    let sink: AsyncStream<FileWatcher.Event>.Continuation
    let watcher: FileWatcher

    init(roots: [String], ignoring: [String] = []) throws {
        (events, sink) = AsyncStream.makeStream(of: FileWatcher.Event.self)
        let sink = self.sink
        watcher = try FileWatcher(roots: roots, ignoring: ignoring) { sink.yield($0) }
    }

    deinit { watcher.stop() }

    /// Every event up to and including the first that `isLast` accepts; fails after ten seconds.
    func read(until isLast: @escaping @Sendable (FileWatcher.Event) -> Bool) async -> [FileWatcher.Event] {
        let sink = self.sink
        let timeout = Task {
            try? await Task.sleep(for: .seconds(10))
            // A read that ended in time cancels its timer; only a real timeout may leave the marker.
            if !Task.isCancelled { sink.yield(.problem("probe timeout")) }
        }
        defer { timeout.cancel() }
        var seen: [FileWatcher.Event] = []
        for await event in events {
            seen.append(event)
            if isLast(event) { return seen }
            if event == .problem("probe timeout") { break }
        }
        Issue.record("the expected event never came; saw \(seen)")
        return seen
    }

    static func changed(_ path: String) -> @Sendable (FileWatcher.Event) -> Bool {
        { if case .changed(path, _) = $0 { true } else { false } }
    }
}

/// Writes `bytes` in place (no temporary file and rename, unlike `FileManager.createFile`).
func put(_ path: String, _ bytes: [UInt8]) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

extension [FileWatcher.Event] {
    var paths: [String] { compactMap { if case .changed(let path, _) = $0 { path } else { nil } } }
}

@Suite struct FileWatcherTests {
    @Test func aWatchedFileIsSeenWhenAnEditorSavesByRenamingOverIt() async throws {
        let workspace = TemporaryFolder()
        workspace.write("cfg/train.yaml", Array("lr: 0.1\n".utf8))
        let file = workspace.sub("cfg/train.yaml")
        let probe = try WatchProbe(roots: [file])

        try put(workspace.sub("cfg/notes.txt"), Array("other files in the folder do not count".utf8))
        try put(workspace.sub("cfg/.train.yaml.swp"), Array("lr: 0.2\n".utf8))
        rename(workspace.sub("cfg/.train.yaml.swp"), file)
        let first = await probe.read(until: WatchProbe.changed(file))
        #expect(first.paths == [file])

        // Deleted and written again: still watched, and a write in place is seen when it is closed.
        unlink(file)
        #expect(await probe.read(until: WatchProbe.changed(file)).paths == [file])
        try put(file, Array("lr: 0.3\n".utf8))
        #expect(await probe.read(until: WatchProbe.changed(file)).paths == [file])
    }

    @Test func aWatchedDirectoryIsWatchedWithFoldersCreatedLater() async throws {
        let workspace = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: workspace.sub("cfg"), withIntermediateDirectories: true)
        let probe = try WatchProbe(roots: [workspace.sub("cfg")])
        try FileManager.default.createDirectory(atPath: workspace.sub("cfg/models/vision"), withIntermediateDirectories: true)
        // The new folder is reported once its tree is watched (a file written into it before that
        // is covered by the folder's own change, which is what a backup needs).
        let created = await probe.read(until: WatchProbe.changed(workspace.sub("cfg/models")))
        #expect(created.paths == [workspace.sub("cfg/models")])
        try put(workspace.sub("cfg/models/vision/resnet.yaml"), Array("depth: 50\n".utf8))
        let events = await probe.read(until: WatchProbe.changed(workspace.sub("cfg/models/vision/resnet.yaml")))
        #expect(events.paths.allSatisfy { $0.hasPrefix(workspace.sub("cfg/models/vision")) }, "\(events.paths)")

        // A folder moved away is no longer watched under its old name; its new home is outside.
        rename(workspace.sub("cfg/models"), workspace.sub("models-old"))
        try put(workspace.sub("models-old/vision/late.yaml"), Array("x\n".utf8))
        try put(workspace.sub("cfg/sentinel"), [1])
        let after = await probe.read(until: WatchProbe.changed(workspace.sub("cfg/sentinel")))
        #expect(after.paths.contains(workspace.sub("cfg/models")))
        #expect(!after.paths.contains { $0.contains("late.yaml") || $0.contains("models-old") }, "\(after.paths)")
    }

    @Test func aWatchedDirectoryThatAppearsLaterIsPickedUp() async throws {
        let workspace = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: workspace.sub("project"), withIntermediateDirectories: true)
        let probe = try WatchProbe(roots: [workspace.sub("project/cfg")])
        try FileManager.default.createDirectory(atPath: workspace.sub("project/cfg"), withIntermediateDirectories: true)
        #expect(await probe.read(until: WatchProbe.changed(workspace.sub("project/cfg"))).paths == [workspace.sub("project/cfg")])
        try put(workspace.sub("project/cfg/a.yaml"), [1])
        let events = await probe.read(until: WatchProbe.changed(workspace.sub("project/cfg/a.yaml")))
        #expect(events.paths.allSatisfy { $0.hasPrefix(workspace.sub("project/cfg/")) }, "\(events.paths)")
    }

    @Test func pacadsOwnFoldersAreNeverReported() async throws {
        let workspace = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: workspace.sub("ws/backups"), withIntermediateDirectories: true)
        let probe = try WatchProbe(roots: [workspace.sub("ws")], ignoring: [workspace.sub("ws/backups")])
        try put(workspace.sub("ws/backups/data/1.zip"), [1, 2, 3])
        try put(workspace.sub("ws/sentinel"), [1])
        let events = await probe.read(until: WatchProbe.changed(workspace.sub("ws/sentinel")))
        #expect(events.paths == [workspace.sub("ws/sentinel")], "\(events.paths)")
    }

    @Test func aRootWhoseFolderIsMissingIsReported() async throws {
        let workspace = TemporaryFolder()
        let probe = try WatchProbe(roots: [workspace.sub("nowhere/cfg/train.yaml")])
        let events = await probe.read { if case .problem = $0 { true } else { false } }
        #expect(
            events == [
                .problem(
                    "cannot watch \(workspace.sub("nowhere/cfg/train.yaml")): its folder \(workspace.sub("nowhere/cfg")) does not exist or cannot be read"
                )
            ])
    }
}
