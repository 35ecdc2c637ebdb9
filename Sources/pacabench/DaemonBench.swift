import Foundation
import PacaProtocol

/// The daemon's rows: how long pacad takes from exec to `READY=1`, what it holds in memory when
/// idle, and the round trip of `daemon.status` over the control socket, measured on the release
/// binary with the same stand-in for systemd the tests use (a datagram NOTIFY_SOCKET).
struct DaemonBench {
    struct Results {
        var readyMilliseconds: [Double] = []
        var idleRSSMiB: [Double] = []
        /// The anonymous part of the idle RSS (heap, stacks): what the daemon really allocates, as
        /// opposed to clean pages of its own binary and of libsqlite3 that the kernel can drop.
        var idleAnonMiB: [Double] = []
        var statusMilliseconds: [Double] = []
        /// CPU seconds pacad used while idle with 1,000 jobs, over `idleSeconds`.
        var idleCPUSeconds: Double = .nan
        var idleSeconds: Double = 10
        /// The readahead of the disk pacad's binary is on, in KiB (nil when /sys does not say):
        /// the kernel maps the binary in folios as large as its readahead, so the idle RSS moves
        /// with it by megabytes (docs/performance.md).
        var readaheadKiB: Int?
    }

    let pacad: String
    let directory: String
    let starts: Int
    let calls: Int

    func run() -> Results {
        var results = Results()
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.createDirectory(atPath: directory + "/source", withIntermediateDirectories: true)
        try? "hello\n".write(toFile: directory + "/source/a.txt", atomically: false, encoding: .utf8)
        for index in 0..<starts {
            guard let daemon = startDaemon() else { continue }
            results.readyMilliseconds.append(daemon.ready * 1000)
            if index == 0 {
                usleep(1_000_000)
                results.statusMilliseconds = statusRoundTrips()
                usleep(500_000)
            }
            results.idleRSSMiB.append(residentMiB(daemon.pid, "VmRSS:"))
            results.idleAnonMiB.append(residentMiB(daemon.pid, "RssAnon:"))
            kill(daemon.pid, SIGTERM)
            var status: Int32 = 0
            waitpid(daemon.pid, &status, 0)
        }
        results.idleCPUSeconds = idleSchedulerCPU(jobs: 1000, seconds: results.idleSeconds)
        results.readaheadKiB = readahead(of: pacad)
        try? FileManager.default.removeItem(atPath: directory)
        return results
    }

    /// `read_ahead_kb` of the block device holding `path` (for a partition, its disk's).
    private func readahead(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        // glibc's major()/minor() are macros Swift cannot see; this is their Linux encoding.
        let dev = UInt64(info.st_dev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        let device = "/sys/dev/block/\(major):\(minor)"
        for candidate in [device + "/queue/read_ahead_kb", device + "/../queue/read_ahead_kb"] {
            guard let text = try? String(contentsOfFile: candidate, encoding: .utf8) else { continue }
            if let value = text.split(whereSeparator: \.isWhitespace).first.flatMap({ Int($0) }) { return value }
        }
        return nil
    }

    /// Starts pacad with `jobs` jobs none of which is due soon, lets it settle, and measures the
    /// CPU time (user + system, from /proc/PID/stat) it uses over `seconds` of idleness.
    private func idleSchedulerCPU(jobs: Int, seconds: Double) -> Double {
        var config = """
            state_dir: \(directory)/idle/state
            socket: \(directory)/idle/pacad.sock
            targets:
              local: {type: directory, path: \(directory)/idle/backups}
            sets:
              data: {paths: [\(directory)/source]}
            jobs:

            """
        for index in 0..<jobs {
            config +=
                index % 2 == 0
                ? "  job\(index): {cron: \"\(index % 60) \(index % 24) 1 \(index % 12 + 1) *\", catch_up: false}\n"
                : "  job\(index): {every: \(20 + index % 10)d, jitter: 1h}\n"
        }
        try? FileManager.default.createDirectory(atPath: directory + "/idle", withIntermediateDirectories: true)
        try? config.write(toFile: directory + "/idle/pacad.yaml", atomically: true, encoding: .utf8)
        guard let daemon = startDaemon(arguments: ["--config", directory + "/idle/pacad.yaml"]) else { return .nan }
        defer {
            kill(daemon.pid, SIGTERM)
            var status: Int32 = 0
            waitpid(daemon.pid, &status, 0)
        }
        usleep(1_000_000)
        let before = cpuSeconds(daemon.pid)
        usleep(UInt32(seconds * 1_000_000))
        return cpuSeconds(daemon.pid) - before
    }

    private func cpuSeconds(_ pid: pid_t) -> Double {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = text.lastIndex(of: ")") else { return .nan }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // Fields after the command: state is 0, utime 11, stime 12 (proc(5)), in clock ticks.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Spawns pacad on the embedded default and waits for READY=1; returns its pid and the seconds it took.
    private func startDaemon(arguments: [String]? = nil) -> (pid: pid_t, ready: Double)? {
        let notifyPath = directory + "/notify.sock"
        unlink(notifyPath)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(fd)
            unlink(notifyPath)
        }
        guard bind(fd, notifyPath) else { return nil }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let argv: [UnsafeMutablePointer<CChar>?] = [
            strdup(pacad), strdup("--source"), strdup(directory + "/source"), strdup("--log-level"), strdup("warning"), nil,
        ]
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("NOTIFY_SOCKET=\(notifyPath)"), strdup("PATH=/usr/bin:/bin"), nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // The child inherits the working directory, where the embedded default puts .paca/.
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(directory)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        var pid: pid_t = 0
        let started = Runner.now()
        guard posix_spawn(&pid, pacad, nil, nil, argv, envp) == 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 {
                kill(pid, SIGKILL)
                return nil
            }
            if String(decoding: buffer[0..<n], as: UTF8.self).contains("READY=1") { return (pid, Runner.now() - started) }
        }
    }

    private func statusRoundTrips() -> [Double] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        guard connect(fd, directory + "/.paca/pacad.sock") else { return [] }
        var timings: [Double] = []
        var decoder = FrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for id in 0..<calls {
            let frame = Frame.encode(Methods.daemonStatus.request(NoParams(), id: .number(Int64(id))).encoded)
            let began = Runner.now()
            _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            while (try? decoder.next()) == nil {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return timings }
                decoder.append(buffer[0..<n])
            }
            timings.append((Runner.now() - began) * 1000)
        }
        return timings
    }

    /// A `/proc/PID/status` memory line (`VmRSS:`, `RssAnon:`) in MiB.
    private func residentMiB(_ pid: pid_t, _ key: String) -> Double {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix(key) } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    private func bind(_ fd: Int32, _ path: String) -> Bool {
        withAddress(path) { Glibc.bind(fd, $0, $1) == 0 }
    }

    private func connect(_ fd: Int32, _ path: String) -> Bool {
        withAddress(path) { Glibc.connect(fd, $0, $1) == 0 }
    }

    private func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Bool) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}

extension Array where Element == Double {
    /// The value below which `fraction` of the samples fall (nearest rank).
    func percentile(_ fraction: Double) -> Double {
        guard !isEmpty else { return .nan }
        let sorted = self.sorted()
        return sorted[Swift.min(sorted.count - 1, Int((fraction * Double(sorted.count)).rounded(.up)) - 1)]
    }
}
