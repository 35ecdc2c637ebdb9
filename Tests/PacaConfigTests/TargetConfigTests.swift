import PacaCore
import Testing

@testable import PacaConfig

@Suite struct TargetConfigTests {
    static func load(targets: String, setExtra: String = "") throws -> DaemonConfig {
        try ConfigLoader.load(
            yaml: """
                state_dir: /var/lib/paca
                socket: /run/paca/pacad.sock
                targets:
                \(targets)
                sets:
                  data:
                    paths: [/srv/data]
                    targets: [remote]
                \(setExtra)
                """)
    }

    static func problems(targets: String, setExtra: String = "") -> [String] {
        do {
            _ = try load(targets: targets, setExtra: setExtra)
            return []
        } catch {
            return (error as? ConfigError)?.problems.map { "\($0.key): \($0.message)" } ?? ["\(error)"]
        }
    }

    @Test func readsAnS3TargetWithEveryKey() throws {
        let config = try Self.load(
            targets: """
                  remote:
                    type: s3
                    endpoint: "http://127.0.0.1:8333"
                    bucket: ml-backups
                    region: eu-west-1
                    prefix: "/fleet/{host}/"
                    addressing: virtual-host
                    credentials_file: /etc/paca/s3
                    profile: backup
                    part_size: 64MiB
                    upload_concurrency: 4
                    retention: {keep_daily: 7, keep_within: 2w}
                """)
        let target = try #require(config.target(named: "remote"))
        #expect(
            target.kind
                == .s3(
                    .init(
                        endpoint: "http://127.0.0.1:8333", bucket: "ml-backups", region: "eu-west-1", prefix: "fleet/{host}",
                        addressing: "virtual-host", credentialsFile: "/etc/paca/s3", profile: "backup", partSize: 64 << 20, concurrency: 4))
        )
        #expect(target.retention == RetentionPolicy(keepDaily: 7, keepWithin: 14 * 86_400))
        #expect(config.retention(set: "data", target: "remote") == target.retention)
    }

    @Test func defaultsAreDocumented() throws {
        let config = try Self.load(targets: "  remote: {type: s3, endpoint: \"https://s3.amazonaws.com\", bucket: b-1}")
        #expect(config.target(named: "remote")?.kind == .s3(.init(endpoint: "https://s3.amazonaws.com", bucket: "b-1")))
        guard case .s3(let s3) = config.target(named: "remote")?.kind else { return }
        #expect(
            s3.region == "us-east-1" && s3.prefix == "{host}" && s3.partSize == 16 << 20 && s3.concurrency == 2 && s3.profile == "default")
    }

    @Test func badS3SettingsAreNamed() {
        let found = Self.problems(
            targets: """
                  remote:
                    type: s3
                    endpoint: "ftp://host"
                    prefix: "a/../b"
                    addressing: sideways
                    profile: x
                    part_size: 1MiB
                    upload_concurrency: 99
                    secret_key: nope
                """)
        for expected in [
            "targets.remote.bucket: missing", "targets.remote.secret_key: unknown key",
        ] {
            #expect(found.contains { $0.hasPrefix(expected) }, "\(found)")
        }
        let detailed = Self.problems(
            targets: """
                  remote:
                    type: s3
                    endpoint: "ftp://host"
                    bucket: b-1
                    prefix: "a/../b"
                    addressing: sideways
                    profile: x
                    part_size: 1MiB
                    upload_concurrency: 99
                """)
        for expected in [
            "targets.remote.endpoint: \"ftp://host\" must start with https://", "targets.remote.prefix:", "targets.remote.addressing:",
            "targets.remote.profile: only used with credentials_file", "targets.remote.part_size: \"1MiB\" is not a part size",
            "targets.remote.upload_concurrency: 99 is out of range",
        ] {
            #expect(detailed.contains { $0.hasPrefix(expected) }, "\(expected) in \(detailed)")
        }
    }

    /// An endpoint with credentials in it is refused, and the message never repeats them.
    @Test func anEndpointWithCredentialsIsRefusedWithoutShowingThem() {
        for endpoint in ["https://AKIAEXAMPLE:s3cr3t@s3.example.org", "AKIAEXAMPLE:s3cr3t@s3.example.org", "http://user@minio:9000/"] {
            let problems = Self.problems(
                targets: """
                      remote:
                        type: s3
                        endpoint: "\(endpoint)"
                        bucket: b-1
                    """)
            #expect(problems.contains { $0.hasPrefix("targets.remote.endpoint: must not carry credentials") }, "\(problems)")
            #expect(!problems.joined().contains("s3cr3t") && !problems.joined().contains("AKIAEXAMPLE"), "\(problems)")
        }
    }

    @Test func scrubbingIsOnForDirectoriesOffForBucketsAndChecked() throws {
        let config = try Self.load(
            targets: """
                  remote:
                    type: s3
                    endpoint: "http://127.0.0.1:8333"
                    bucket: b
                  disk:
                    type: directory
                    path: /mnt/disk
                  slow:
                    type: directory
                    path: /mnt/slow
                    scrub_every: 2w
                    scrub_rate: 10MB
                  never:
                    type: directory
                    path: /mnt/never
                    scrub_every: "off"
                  paid:
                    type: s3
                    endpoint: "http://127.0.0.1:8333"
                    bucket: b
                    scrub_every: 90d
                """)
        let scrub = Dictionary(uniqueKeysWithValues: config.targets.map { ($0.name, $0.scrub) })
        #expect(scrub["remote"] == .init(every: nil, rate: 50_000_000))
        #expect(scrub["disk"] == .init(every: 30 * 86_400, rate: 50_000_000))
        #expect(scrub["slow"] == .init(every: 14 * 86_400, rate: 10_000_000))
        #expect(scrub["never"]?.every == nil)
        #expect(scrub["paid"] == .init(every: 90 * 86_400, rate: 50_000_000))
        let problems = Self.problems(
            targets: """
                  remote:
                    type: directory
                    path: /mnt/disk
                    scrub_every: 10m
                    scrub_rate: 5kB
                """)
        #expect(
            Array(problems.prefix(2)) == [
                "targets.remote.scrub_every: \"10m\" is not a duration of at least an hour like 30d or 2w, or off",
                "targets.remote.scrub_rate: \"5kB\" is not a rate of at least 1MB (bytes per second) like 50MB",
            ], "\(problems)")
    }

    @Test func retentionRulesAreChecked() throws {
        let remote = "  remote: {type: directory, path: /b}"
        let config = try Self.load(targets: remote, setExtra: "    retention: {keep_last: 3, keep_monthly: -1, keep_tagged: false}")
        #expect(config.set(named: "data")?.retention == RetentionPolicy(keepLast: 3, keepMonthly: -1, keepTagged: false))
        let best = try Self.load(
            targets: remote, setExtra: "    retention: {keep_best: {metric: eval_loss, mode: min, count: 3}, keep_last: 1}")
        #expect(
            best.set(named: "data")?.retention
                == RetentionPolicy(keepLast: 1, keepBest: .init(metric: "eval_loss", isHigherBetter: false, count: 3)))
        for (retention, expected) in [
            ("{keep_tagged: true}", "keeps everything"), ("{keep_daily: -2}", "is not a count"), ("{keep_daily: x}", "whole number"),
            ("{keep_within: forever}", "not a duration"), ("{keep_weekley: 3}", "did you mean \"keep_weekly\""),
            ("{keep_tagged: 3}", "true or false"), ("{keep_best: {metric: eval_loss, count: 3}}", "needs mode: min"),
            ("{keep_best: {metric: eval_loss, mode: lowest, count: 3}}", "expected min (lower is better"),
            ("{keep_best: {mode: min, count: 3}}", "needs metric"), ("{keep_best: {metric: loss, mode: max, count: 0}}", "needs count"),
            ("{keep_best: {metric: loss, mode: max, count: 2, top: 1}}", "top"),
        ] {
            let found = Self.problems(targets: remote, setExtra: "    retention: \(retention)")
            #expect(found.count == 1 && found[0].contains(expected), "\(retention): \(found)")
        }
    }

    @Test func aCaptureFolderMustLieOutsideTheSetsPaths() throws {
        let remote = "  remote: {type: directory, path: /b}"
        #expect(
            try Self.load(targets: remote, setExtra: "    capture_dir: /srv/.paca-capture").set(named: "data")?.captureDirectory
                == "/srv/.paca-capture")
        #expect(try Self.load(targets: remote).set(named: "data")?.captureDirectory == nil)
        let inside = Self.problems(targets: remote, setExtra: "    capture_dir: /srv/data/.capture")
        #expect(inside.count == 1 && inside[0].contains("is inside the set's path /srv/data"), "\(inside)")
        #expect(Self.problems(targets: remote, setExtra: "    capture_dir: relative").first?.contains("capture_dir") == true)
    }
}
