import Foundation

/// What one run of one command cost.
struct Measurement {
    var wall: Double
    var cpu: Double
    /// Peak resident set size of the process, MiB.
    var peakRSS: Double
    var status: Int32
}

/// Runs commands as child processes: wall time from the monotonic clock, CPU time from `wait4`
/// (which includes the tool's own children), and peak RSS from GNU time's `%M`, because the
/// `ru_maxrss` that `wait4` reports for a spawned child also counts the pages of the harness it
/// was forked from.
enum Runner {
    /// Runs `/bin/sh -c 'cd DIR && exec /usr/bin/time COMMAND'`, so what is measured is the tool itself.
    static func measure(_ command: String, in directory: String, environment: [String: String] = [:], quiet: Bool = true) -> Measurement {
        let rssFile = NSTemporaryDirectory() + "pacabench-rss-\(getpid())"
        defer { unlink(rssFile) }
        let script = "cd '\(directory)' && exec /usr/bin/time -q -f %M -o '\(rssFile)' \(command)\(quiet ? " >/dev/null" : "")"
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(script), nil]
        defer {
            envp.forEach { free($0) }
            argv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let start = now()
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, envp) == 0 else {
            return Measurement(wall: 0, cpu: 0, peakRSS: 0, status: -1)
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let wall = now() - start
        let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime)
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let text = (try? String(contentsOfFile: rssFile, encoding: .utf8)) ?? ""
        let kilobytes = text.split(whereSeparator: \.isNewline).last.flatMap { Double($0) } ?? 0
        return Measurement(wall: wall, cpu: cpu, peakRSS: kilobytes / 1024, status: exit)
    }

    /// Runs a setup step (not measured); stops the benchmark if it fails.
    static func setup(_ command: String, in directory: String, environment: [String: String] = [:]) {
        let result = measure(command, in: directory, environment: environment)
        if result.status != 0 {
            FileHandle.standardError.write(Data("pacabench: setup step failed (\(result.status)): \(command)\n".utf8))
            exit(1)
        }
    }

    private static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension Array where Element == Double {
    var median: Double {
        guard !isEmpty else { return .nan }
        let sorted = self.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
