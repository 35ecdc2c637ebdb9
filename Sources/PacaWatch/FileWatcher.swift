public import PacaEngine
import PacaSystem
import Synchronization

/// Watches files and directories with inotify on a thread of its own and reports every change.
///
/// * A watched **file** is watched through its folder, filtered by name, so editors that save by
///   writing a temporary file and renaming it over the original (vim, most IDEs) are seen, and a
///   file that is deleted and created again keeps being watched.
/// * A watched **directory** is watched with everything under it; folders created or moved in
///   later are added as they appear. Its folder is watched too, so a directory that is replaced
///   or created after the start is picked up.
/// * What counts as a change: a file closed after writing, created, deleted, renamed in or out,
///   or its mode/times changed. Plain writes to a file that stays open (a log being appended to)
///   are seen when it is closed.
/// * Paths under `ignoring` (pacad's own state and targets) never count, so a backup written
///   inside a watched folder cannot trigger the next one.
///
/// The kernel's limit on watches (`fs.inotify.max_user_watches`) and a queue overflow are
/// reported as ``Event/problem(_:)`` and ``Event/overflow``; the owner treats an overflow as
/// "everything may have changed".
public final class FileWatcher: Sendable {
    public enum Event: Sendable, Equatable {
        case changed(path: String, isDirectory: Bool)
        /// The kernel dropped events: treat every watched path as changed.
        case overflow
        /// A path that cannot be watched, or the watcher stopping on an error.
        case problem(String)
    }

    private let inotify: Inotify
    private let stopped = Atomic<Bool>(false)

    /// Starts watching `roots` (absolute paths). Problems with single roots are reported through
    /// `report` and do not stop the others; only a watcher that cannot start at all throws.
    public init(roots: [String], ignoring: [String], report: @escaping @Sendable (Event) -> Void) throws(EngineError) {
        do { inotify = try Inotify() } catch {
            throw EngineError(.storage, "cannot start watching files: \(error)", underlying: error)
        }
        var table = WatchTable(inotify: inotify, ignoring: ignoring, report: report)
        for root in roots { table.addRoot(root) }
        let start = table
        SystemThread.detach { [self] in
            var table = start
            self.loop(&table, report: report)
        }
    }

    /// Ends the watching thread; no event is reported after it has seen this.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        inotify.interrupt()
    }

    private func loop(_ table: inout WatchTable, report: @Sendable (Event) -> Void) {
        while !stopped.load(ordering: .acquiring) {
            let events: [InotifyEvent]
            do {
                guard let read = try inotify.read() else { return }
                events = read
            } catch {
                report(.problem("watching files stopped: \(error)"))
                return
            }
            for event in events {
                if stopped.load(ordering: .acquiring) { return }
                table.handle(event)
            }
        }
    }
}
