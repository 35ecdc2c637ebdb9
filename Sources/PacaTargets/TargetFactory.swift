public import PacaConfig
import PacaCore
import PacaS3
public import PacaSystem

/// Builds the ``ArchiveTarget`` for each configured target: a directory, or an S3 bucket with
/// its credentials resolved (a `credentials_file`, else `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` from `environment`) and `{host}` in its prefix replaced by `hostName`.
/// A target that cannot be built (no credentials, a bad endpoint) becomes an error that every
/// delivery to it and `status` report; the others work.
public struct TargetFactory: Sendable {
    public var environment: [String: String]
    public var hostName: String
    /// The clock S3 retries wait on.
    public var clock: ServiceClock

    public init(environment: [String: String], hostName: String, clock: ServiceClock = .system) {
        self.environment = environment
        self.hostName = hostName
        self.clock = clock
    }

    /// The process's environment and host name.
    public static func system(clock: ServiceClock = .system) -> TargetFactory {
        var environment: [String: String] = [:]
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            if let value = ProcessFacts.environment(name) { environment[name] = value }
        }
        return TargetFactory(environment: environment, hostName: ProcessFacts.hostName, clock: clock)
    }

    /// `{host}` as it goes into keys: the host name with anything but letters, digits, `.`, `-`
    /// and `_` replaced by `-`.
    var hostKey: String {
        let cleaned = String(hostName.map { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) ? $0 : "-" })
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "localhost" : cleaned
    }

    /// The target `target` describes; a directory target checks its root against `identities`.
    public func make(_ target: DaemonConfig.Target, identities: TargetIdentities? = nil, uploads: UploadJournal? = nil)
        -> Result<any ArchiveTarget, TargetError>
    {
        switch target.kind {
        case .directory(let path):
            return .success(DirectoryTarget(name: target.name, root: path, identities: identities))
        case .s3(let s3):
            let addressing: S3Endpoint.Addressing
            if let named = s3.addressing {
                addressing = named == "virtual-host" ? .virtualHost : .path
            } else {
                addressing = s3.endpoint.contains("amazonaws.com") ? .virtualHost : .path
            }
            let endpoint: S3Endpoint
            switch S3Endpoint.parse(s3.endpoint, bucket: s3.bucket, region: s3.region, addressing: addressing) {
            case .success(let parsed): endpoint = parsed
            case .failure(let problem): return .failure(TargetError(.validation, "target \"\(target.name)\": \(problem.message)"))
            }
            let keys: S3Credentials
            switch credentials(s3) {
            case .success(let found): keys = found
            case .failure(let error):
                return .failure(TargetError(.validation, "target \"\(target.name)\": \(error.message)", underlying: error.underlying))
            }
            let client = S3Client(endpoint: endpoint, credentials: keys, clock: { Int64(SystemTime.realtime()) }, retryClock: clock)
            let prefix = s3.prefix.replacingOccurrences(of: "{host}", with: hostKey)
            return .success(
                S3Target(
                    name: target.name, client: client, prefix: prefix, partSize: s3.partSize, concurrency: s3.concurrency,
                    identities: identities, journal: uploads))
        }
    }

    func credentials(_ s3: DaemonConfig.Target.S3) -> Result<S3Credentials, TargetError> {
        guard let file = s3.credentialsFile else {
            guard let access = environment["AWS_ACCESS_KEY_ID"], !access.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"],
                !secret.isEmpty
            else {
                return .failure(
                    TargetError(
                        .validation,
                        "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in pacad's environment, or name a credentials_file"
                    ))
            }
            return .success(S3Credentials(accessKey: access, secretKey: secret))
        }
        // One descriptor for the checks and the read: nothing can be swapped in between.
        let fd: Int32
        do { fd = try Syscall.open(file, .readOnly, options: [.noFollow, .nonBlocking]) } catch {
            return .failure(TargetError(.validation, "credentials_file \(file) cannot be opened: \(error.reason)", underlying: error))
        }
        defer { Syscall.close(fd) }
        let info: FileInfo
        do { info = try Syscall.fstat(fd, path: file) } catch {
            return .failure(TargetError(.validation, "credentials_file \(file) cannot be read: \(error.reason)", underlying: error))
        }
        guard info.kind == .regular else { return .failure(TargetError(.validation, "credentials_file \(file) is not a regular file")) }
        guard info.uid == 0 || info.uid == ProcessFacts.effectiveUID else {
            return .failure(
                TargetError(
                    .validation,
                    "credentials_file \(file) belongs to uid \(info.uid); it must belong to root or to pacad's user (uid \(ProcessFacts.effectiveUID)), so nobody else can change where backups go"
                ))
        }
        guard info.permissions & 0o066 == 0 else {
            return .failure(
                TargetError(
                    .validation,
                    "credentials_file \(file) has mode \(String(info.permissions, radix: 8)); its group and others may neither read nor write it: chmod 600 it"
                ))
        }
        let bytes: [UInt8]
        do { bytes = try Syscall.readAll(fd, path: file, limit: 1 << 20) } catch {
            return .failure(TargetError(.validation, "credentials_file \(file) cannot be read: \(error.reason)", underlying: error))
        }
        guard let found = Self.parseCredentials(String(decoding: bytes, as: UTF8.self), profile: s3.profile) else {
            return .failure(
                TargetError(
                    .validation,
                    "credentials_file \(file) has no profile [\(s3.profile)] with aws_access_key_id and aws_secret_access_key"))
        }
        return .success(found)
    }

    /// Reads an AWS shared-credentials file (INI: `[profile]` sections, `key = value` lines,
    /// `#` and `;` comments) and returns `profile`'s key pair.
    static func parseCredentials(_ text: String, profile: String) -> S3Credentials? {
        var section = ""
        var access: String?
        var secret: String?
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = Self.trim(rawLine)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = Self.trim(line.dropFirst().dropLast())
                continue
            }
            guard section == profile, let equals = line.firstIndex(of: "=") else { continue }
            let key = Self.trim(line[..<equals]).lowercased()
            let value = Self.trim(line[line.index(after: equals)...])
            if key == "aws_access_key_id" { access = value }
            if key == "aws_secret_access_key" { secret = value }
        }
        guard let access, !access.isEmpty, let secret, !secret.isEmpty else { return nil }
        return S3Credentials(accessKey: access, secretKey: secret)
    }

    /// `text` without white space at either end.
    static func trim(_ text: some StringProtocol) -> String {
        var part = Substring(text)
        while part.first?.isWhitespace == true { part.removeFirst() }
        while part.last?.isWhitespace == true { part.removeLast() }
        return String(part)
    }
}
