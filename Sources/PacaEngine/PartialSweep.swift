import PacaData
import PacaCore
public import PacaConfig

/// Removes `.partial` files that a crashed daemon left in its directory targets
/// (`<target>/<set>/*.partial`). Run at start, before any backup begins.
public enum PartialSweep {
    /// Sweeps every directory target of `config`; returns the paths removed.
    public static func run(_ config: DaemonConfig) async -> [String] {
        await BlockingWork.run("sweep") {
            var removed: [String] = []
            for target in config.targets {
                guard case .directory(let root) = target.kind else { continue }
                for set in StateFile.names(in: root) {
                    for name in StateFile.names(in: root + "/" + set) where name.hasSuffix(".partial") {
                        let path = root + "/" + set + "/" + name
                        if (try? StateFile.remove(path)) == true { removed.append(path) }
                    }
                }
            }
            return removed
        }
    }
}
