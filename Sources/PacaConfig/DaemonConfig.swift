public import PacaAge
public import PacaCore

/// pacad's configuration, decoded and checked as a whole from one YAML file (see
/// ``ConfigLoader``) or built from the embedded default.
///
/// Key names are the contract documented in docs/configuration.md; later issues add `jobs`,
/// `triggers`, retention and `stores` next to these.
public struct DaemonConfig: Sendable, Equatable {
    /// Catalog and daemon state (`state_dir`).
    public var stateDirectory: String
    /// The control socket (`socket`); under systemd `$RUNTIME_DIRECTORY/pacad.sock` wins.
    public var socketPath: String
    /// Members of this group may use the socket besides root and the daemon's own user (`socket_group`).
    public var socketGroup: String?
    /// zlib level for archives (`compression.level`, 0-9).
    public var compressionLevel: Int
    /// Compressor threads per backup (`compression.threads`); nil means every CPU.
    public var compressionThreads: Int?
    /// Named destinations, in file order.
    public var targets: [Target]
    /// Named backup sets, in file order.
    public var sets: [BackupSet]
    /// Scheduled backups (`jobs`), in file order.
    public var jobs: [Job]
    /// Record stores for the programs around pacad (`stores`), in file order.
    public var stores: [Store]
    /// Who may do what over the socket (`access`); nil: members of `socket_group` operate.
    public var access: Access?
    /// How the audit log rotates (`audit`).
    public var audit = Audit()

    /// What callers can make pacad hold (`limits:`).
    public var limits = Limits()
    /// The dashboard and `/metrics` over HTTP (`http:`); nil: off.
    public var http: HTTP?

    public struct Limits: Sendable, Equatable {
        /// Connections open at once; more wait in the listen backlog until one ends.
        public var connections = 256
        /// Seconds a connection may sit with no request in flight before pacad closes it.
        public var idleTimeout: Int64 = 600
        /// Restore sessions one caller (uid) may hold open at once.
        public var restoresPerCaller = 8
        /// Verifies one caller may have running at once.
        public var verifiesPerCaller = 2
        public init() {}
    }

    /// `audit:`: the audit log (`<state_dir>/audit.log`) moves to `audit.log.1` when it reaches
    /// `rotate_at` bytes, and the oldest of `keep` rotated files goes.
    public struct Audit: Sendable, Equatable {
        public var rotateAt: Int = 16 << 20
        public var keep: Int = 8
        public init(rotateAt: Int = 16 << 20, keep: Int = 8) {
            self.rotateAt = rotateAt
            self.keep = keep
        }
    }

    /// The callers given each role (`access.read`, `.operate`, `.admin`). Root and pacad's own
    /// user are admins whatever this says.
    public struct Access: Sendable, Equatable {
        public var read: [Principal]
        public var operate: [Principal]
        public var admin: [Principal]

        public init(read: [Principal] = [], operate: [Principal] = [], admin: [Principal] = []) {
            self.read = read
            self.operate = operate
            self.admin = admin
        }
    }

    /// A user or group named in `access` (`user:NAME`, `group:NAME`, `uid:N`, `gid:N`), with the
    /// id it had on this machine when the file was read.
    public struct Principal: Sendable, Hashable, CustomStringConvertible {
        public enum Kind: String, Sendable, Hashable {
            case user, group
        }

        public var kind: Kind
        public var id: UInt32
        /// As written in the file.
        public var text: String

        public init(kind: Kind, id: UInt32, text: String) {
            self.kind = kind
            self.id = id
            self.text = text
        }

        public var description: String { text }

        /// True when a caller with `uid`, primary `gid` and supplementary `groups` is this one.
        public func matches(uid: UInt32, gid: UInt32, groups: [UInt32]) -> Bool {
            switch kind {
            case .user: uid == id
            case .group: gid == id || groups.contains(id)
            }
        }
    }

    public init(
        stateDirectory: String, socketPath: String, socketGroup: String? = nil, compressionLevel: Int = 2,
        compressionThreads: Int? = nil, targets: [Target], sets: [BackupSet], jobs: [Job] = [], stores: [Store] = [],
        access: Access? = nil
    ) {
        self.access = access
        self.stateDirectory = stateDirectory
        self.socketPath = socketPath
        self.socketGroup = socketGroup
        self.compressionLevel = compressionLevel
        self.compressionThreads = compressionThreads
        self.targets = targets
        self.sets = sets
        self.jobs = jobs
        self.stores = stores
    }

    /// A place backups are delivered to.
    public struct Target: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// A local or mounted directory: archives go to `<path>/<set>/<backup-id>.zip`.
            case directory(path: String)
            /// An S3-compatible bucket: archives go to `<prefix>/<set>/<backup-id>.zip`.
            case s3(S3)
        }

        /// Where an S3 target is (`type: s3`).
        public struct S3: Sendable, Equatable {
            /// `http(s)://host[:port]`.
            public var endpoint: String
            public var bucket: String
            public var region: String
            /// Key prefix with `{host}` replaced by this machine's host name (default `{host}`),
            /// so many machines share one bucket; never starts or ends with `/`.
            public var prefix: String
            /// `path` or `virtual-host`; nil means virtual-host on amazonaws.com, path elsewhere.
            public var addressing: String?
            /// An AWS shared-credentials file (`credentials_file`); without one the
            /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` environment variables are used.
            public var credentialsFile: String?
            /// The profile in that file (`profile`, default `default`).
            public var profile: String
            /// Bytes per multipart part (`part_size`, 5 MiB to 5 GiB, default 16 MiB); archives
            /// smaller than one part go up in a single request.
            public var partSize: Int
            /// Parts uploaded at once (`upload_concurrency`, default 2); memory per upload is
            /// about (this + 1) × part size.
            public var concurrency: Int

            public init(
                endpoint: String, bucket: String, region: String = "us-east-1", prefix: String = "{host}", addressing: String? = nil,
                credentialsFile: String? = nil, profile: String = "default", partSize: Int = 16 << 20, concurrency: Int = 2
            ) {
                self.endpoint = endpoint
                self.bucket = bucket
                self.region = region
                self.prefix = prefix
                self.addressing = addressing
                self.credentialsFile = credentialsFile
                self.profile = profile
                self.partSize = partSize
                self.concurrency = concurrency
            }
        }

        /// How often every copy on the target is read back and checked, and how fast.
        public struct Scrub: Sendable, Equatable {
            /// Each copy is re-read at least once this often, seconds (`scrub_every`); nil: never
            /// (`off`). Default 30 days for directories, off for S3 (reads cost money there).
            public var every: Int64?
            /// Bytes read per second at most (`scrub_rate`, default 50MB).
            public var rate: UInt64

            public static let defaultRate: UInt64 = 50_000_000

            public init(every: Int64?, rate: UInt64 = Self.defaultRate) {
                self.every = every
                self.rate = rate
            }

            /// What a target of `kind` gets without `scrub_every`.
            public static func defaults(for kind: Kind) -> Scrub {
                switch kind {
                case .directory: Scrub(every: 30 * 86_400)
                case .s3: Scrub(every: nil)
                }
            }
        }

        public var name: String
        public var kind: Kind
        /// What to keep of each set on this target, unless the set says otherwise (`retention`).
        public var retention: RetentionPolicy?
        public var scrub: Scrub

        public init(name: String, kind: Kind, retention: RetentionPolicy? = nil, scrub: Scrub? = nil) {
            self.name = name
            self.kind = kind
            self.retention = retention
            self.scrub = scrub ?? .defaults(for: kind)
        }
    }

    /// A named group of paths backed up together into one archive.
    public struct BackupSet: Sendable, Equatable {
        public var name: String
        /// Absolute paths; each is stored in the archive under its last component.
        public var paths: [String]
        public var excludes: [PathPattern]
        /// Names of targets from ``DaemonConfig/targets``.
        public var targets: [String]
        /// Events that back the set up on their own (`triggers`): ``Trigger`` raw values.
        public var triggers: [Trigger]
        /// Files and directories whose changes back the set up (`watch`, with `config_change`).
        public var watch: [String]
        /// Quiet time after the last change before that backup starts, seconds (`debounce`, default 5).
        public var debounce: Int64
        /// What to keep of this set on every target (`retention`); wins over the target's own.
        public var retention: RetentionPolicy?
        /// Whether backups store only what changed, and how far they may reach (`incremental`).
        public var incremental = Incremental()
        /// Write a full archive every this many backups (`full_every`); nil: never needed.
        public var fullEvery: Int?
        /// Where checkpoint captures of this set keep their stable copies (`capture_dir`), on the
        /// checkpoints' file system so that files can be hard-linked; nil: `<state_dir>/capture`.
        public var captureDirectory: String?
        /// Who besides admins may see, back up and restore this set (`access`); nil: every caller
        /// with a role.
        public var access: [Principal]?
        /// Whom the set's archives are sealed to with age (`encryption`); nil: plain ZIP archives.
        public var encryption: Encryption?
        /// Recovery point objective, seconds (`rpo`): the newest complete backup should never be
        /// older than this. `daemon.status` and `/metrics` say when it is.
        public var rpo: Int64?

        /// `encryption:` of a set: each archive is written as an age file (`<id>.zip.age`) to these
        /// recipients. pacad holds only public keys (or, for `passphrase_file`, the passphrase),
        /// never an identity, so it cannot read its own sealed archives.
        public struct Encryption: Sendable, Equatable {
            public var recipients: [AgeRecipient]
            /// The `full_every` a sealed incremental set gets when it names none.
            public static let defaultFullEvery = 30

            public init(recipients: [AgeRecipient]) { self.recipients = recipients }

            /// Whether the archives are sealed to a passphrase rather than to keys.
            public var isPassphrase: Bool {
                recipients.contains { if case .passphrase = $0 { true } else { false } }
            }
        }

        /// `incremental:` of a set: `false` makes every backup full; otherwise each backup stores
        /// the files that changed since the set's previous backup and names the archives that hold
        /// the rest.
        public struct Incremental: Sendable, Equatable {
            public var isEnabled = true
            /// At most this many other archives a backup may need for a restore (`max_sources`).
            public var maxSources = 8
            /// An archive whose bytes still in use fall under this share of what it holds is
            /// retired: its files are stored again so it can go (`min_live`).
            public var minLive = 0.5

            public init(isEnabled: Bool = true, maxSources: Int = 8, minLive: Double = 0.5) {
                self.isEnabled = isEnabled
                self.maxSources = maxSources
                self.minLive = minLive
            }

            /// The archives a backup stops referencing, given the bytes each archive still serves
            /// (`live`) and holds (`held`, by backup id): those unknown to the catalog, those whose
            /// bytes in use fall under `min_live` of what they hold, then the least used ones until
            /// at most `max_sources` remain.
            public func retiring(live: [String: UInt64], held: [String: UInt64]) -> Set<String> {
                var retired = Set<String>()
                for (holder, bytes) in live {
                    guard let stored = held[holder] else {
                        retired.insert(holder)
                        continue
                    }
                    if stored > 0 && Double(bytes) < minLive * Double(stored) { retired.insert(holder) }
                }
                let kept = live.filter { !retired.contains($0.key) }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
                if kept.count > maxSources {
                    for (holder, _) in kept.prefix(kept.count - maxSources) { retired.insert(holder) }
                }
                return retired
            }
        }

        public init(
            name: String, paths: [String], excludes: [PathPattern] = [], targets: [String], triggers: [Trigger] = [],
            watch: [String] = [], debounce: Int64 = 5, retention: RetentionPolicy? = nil
        ) {
            self.retention = retention
            self.name = name
            self.paths = paths
            self.excludes = excludes
            self.targets = targets
            self.triggers = triggers
            self.watch = watch
            self.debounce = debounce
        }

        /// Whether `trigger` backs this set up.
        public func listens(to trigger: Trigger) -> Bool { triggers.contains(trigger) }
    }

    /// An event a set can ask to be backed up on (`triggers:`).
    public enum Trigger: String, Sendable, Equatable, CaseIterable {
        /// A training program announced its start (`trigger.fire training_start`).
        case trainingStart = "training_start"
        /// A training program announced its end, or that it failed (`trigger.fire training_end`).
        case trainingEnd = "training_end"
        /// A file under the set's `watch:` paths changed and then stayed quiet for `debounce`.
        case configChange = "config_change"
        /// The daemon is stopping (SIGTERM from systemd).
        case shutdown
    }

    /// A scheduled backup of one set: on a cron expression or every interval (`jobs.<name>`).
    public struct Job: Sendable, Equatable {
        public var name: String
        public var set: String
        public var schedule: Schedule
        /// Largest random delay added to each run, seconds (`jitter`).
        public var jitter: Int64
        /// Run once at start for slots missed while the daemon was down (`catch_up`, default true).
        public var catchUp: Bool

        public init(name: String, set: String, schedule: Schedule, jitter: Int64 = 0, catchUp: Bool = true) {
            self.name = name
            self.set = set
            self.schedule = schedule
            self.jitter = jitter
            self.catchUp = catchUp
        }
    }

    /// A named record store (`stores.<name>`): where records live and which fields are indexed.
    public struct Store: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// In memory only; gone at stop.
            case memory
            /// An append-only log file, synced on every write.
            case file(path: String)
            /// A SQLite database (WAL).
            case sqlite(path: String)
            /// An LRU cache with a time to live in front of the store `of`.
            case cache(of: String, capacity: Int, ttl: Int64)
        }

        public var name: String
        public var kind: Kind
        /// Dotted field paths to index (`index:`).
        public var index: [String]

        public init(name: String, kind: Kind, index: [String] = []) {
            self.name = name
            self.kind = kind
            self.index = index
        }
    }

    /// The set named `name`, if configured.
    public func set(named name: String) -> BackupSet? { sets.first { $0.name == name } }

    /// The target named `name`, if configured.
    public func target(named name: String) -> Target? { targets.first { $0.name == name } }

    /// The retention of `set` on `target`: the set's own, else the target's; nil keeps everything.
    public func retention(set: String, target: String) -> RetentionPolicy? {
        self.set(named: set)?.retention ?? self.target(named: target)?.retention
    }

    /// The configuration pacad runs on when it is given no file: everything under
    /// `<workingDirectory>/.paca/`, one directory target `local`, and one set `workspace` over
    /// `source` that a training program can ask to back up (`triggers: [training_start]`).
    public static func embeddedDefault(workingDirectory: String, source: String) -> DaemonConfig {
        let base = workingDirectory.hasSuffix("/") ? workingDirectory + ".paca" : workingDirectory + "/.paca"
        return DaemonConfig(
            stateDirectory: base,
            socketPath: base + "/pacad.sock",
            targets: [Target(name: "local", kind: .directory(path: base + "/backups"))],
            sets: [BackupSet(name: "workspace", paths: [source], targets: ["local"], triggers: [.trainingStart])]
        )
    }
}

extension DaemonConfig {
    /// What is allowed but risky in this configuration, one sentence each: `pacad
    /// --check-config` prints these and the daemon logs them when it starts.
    public var warnings: [String] {
        var found: [String] = []
        for set in sets {
            guard let encryption = set.encryption, !encryption.isPassphrase, encryption.recipients.count == 1 else { continue }
            found.append(
                "sets.\(set.name).encryption: one recipient only; if its identity is lost, so are the backups. Add a second recipient whose identity is kept offline (break-glass), e.g. from pacactl key new --out on a machine that stays disconnected"
            )
        }
        return found
    }
}
