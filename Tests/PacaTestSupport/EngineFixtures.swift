import Foundation
public import PacaConfig

extension TemporaryFolder {
    /// A config with one set `data` over `<folder>/source` and one directory target `local` under
    /// `<folder>/backups`, state in `<folder>/state`.
    public func config(level: Int = 2, threads: Int? = nil) -> DaemonConfig {
        DaemonConfig(
            stateDirectory: sub("state"), socketPath: sub("state/pacad.sock"), compressionLevel: level, compressionThreads: threads,
            targets: [DaemonConfig.Target(name: "local", kind: .directory(path: sub("backups")))],
            sets: [DaemonConfig.BackupSet(name: "data", paths: [sub("source")], targets: ["local"])])
    }

    /// ``config(level:threads:)`` with one directory target per name (under this folder), the set
    /// delivering to all of them.
    public func config(directoryTargets names: [String]) -> DaemonConfig {
        var config = config()
        config.targets = names.map { DaemonConfig.Target(name: $0, kind: .directory(path: sub($0))) }
        config.sets[0].targets = names
        return config
    }

    /// A source that takes seconds to back up at level 9 on one thread: one noisy MiB and a sparse
    /// file of `2 × (blocks - 1)` MiB (holes read as zeros, which compress about twice as fast as
    /// the noise: together about as long as `blocks` MiB of noise, on no disk). Hard links would
    /// not do: they are stored once. Tests that must stop a backup before it
    /// ends use thousands of blocks: in a loaded test run, synchronous tests of other suites can hold
    /// every thread of the cooperative pool for over a minute (seen in CI: 80 s), starving the
    /// test's own task while the backup's threads keep going. A prompt cancel costs nothing extra.
    public func writeSlowSource(blocks: Int = 64, folder: String = "source") {
        write("\(folder)/block-0", noise(1 << 20))
        write("\(folder)/sparse", [])
        truncate(sub("\(folder)/sparse"), off_t(blocks - 1) << 21)
    }

    /// Files under `folder` whose name ends in `.partial`.
    public func partialFiles(in folder: String = "backups") -> [String] {
        (FileManager.default.enumerator(atPath: sub(folder))?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".partial") }
    }
}
