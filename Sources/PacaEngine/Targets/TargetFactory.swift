public import PacaConfig
import PacaCore
import PacaS3

#if canImport(Glibc)
    import Glibc
#endif

/// Builds the ``ArchiveTarget`` for each configured target: a directory, or an S3 bucket with
/// its credentials resolved (a `credentials_file`, else `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` from `environment`) and `{host}` in its prefix replaced by `hostName`.
/// A target that cannot be built (no credentials, a bad endpoint) becomes an error that every
/// delivery to it and `status` report; the others work.
public struct TargetFactory: Sendable {
    public var environment: [String: String]
    public var hostName: String

    public init(environment: [String: String], hostName: String) {
        self.environment = environment
        self.hostName = hostName
    }

    /// The process's environment and host name.
    public static func system() -> TargetFactory {
        var environment: [String: String] = [:]
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        var buffer = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return TargetFactory(environment: environment, hostName: host)
    }

    /// `{host}` as it goes into keys: the host name with anything but letters, digits, `.`, `-`
    /// and `_` replaced by `-`.
    var hostKey: String {
        let cleaned = String(hostName.map { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) ? $0 : "-" })
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "localhost" : cleaned
    }

    public func make(_ target: DaemonConfig.Target) -> Result<any ArchiveTarget, EngineError> {
        switch target.kind {
        case .directory(let path):
            return .success(DirectoryTarget(name: target.name, root: path))
        case .s3(let s3):
            let addressing: S3Endpoint.Addressing
            if let named = s3.addressing { addressing = named == "virtual-host" ? .virtualHost : .path } else {
                addressing = s3.endpoint.contains("amazonaws.com") ? .virtualHost : .path
            }
            let endpoint: S3Endpoint
            switch S3Endpoint.parse(s3.endpoint, bucket: s3.bucket, region: s3.region, addressing: addressing) {
            case .success(let parsed): endpoint = parsed
            case .failure(let problem): return .failure(EngineError(.validation, "target \"\(target.name)\": \(problem.message)"))
            }
            let keys: S3Credentials
            switch credentials(s3) {
            case .success(let found): keys = found
            case .failure(let error): return .failure(EngineError(.validation, "target \"\(target.name)\": \(error.message)"))
            }
            let client = S3Client(endpoint: endpoint, credentials: keys, clock: { Int64(WallClock.system.now()) })
            let prefix = s3.prefix.replacingOccurrences(of: "{host}", with: hostKey)
            return .success(S3Target(name: target.name, client: client, prefix: prefix, partSize: s3.partSize, concurrency: s3.concurrency))
        }
    }

    func credentials(_ s3: DaemonConfig.Target.S3) -> Result<S3Credentials, EngineError> {
        guard let file = s3.credentialsFile else {
            guard let access = environment["AWS_ACCESS_KEY_ID"], !access.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"],
                !secret.isEmpty
            else {
                return .failure(
                    EngineError(
                        .validation,
                        "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in pacad's environment, or name a credentials_file"))
            }
            return .success(S3Credentials(accessKey: access, secretKey: secret))
        }
        var info = stat()
        guard stat(file, &info) == 0 else {
            return .failure(EngineError(.validation, "credentials_file \(file) cannot be read: \(String(cString: strerror(errno)))"))
        }
        guard info.st_mode & S_IROTH == 0 else {
            return .failure(EngineError(.validation, "credentials_file \(file) is readable by every user; chmod o-r it (600 is usual)"))
        }
        let bytes: [UInt8]?
        do { bytes = try StateFile.read(file) } catch { return .failure(EngineError(.validation, "credentials_file: \(error.message)")) }
        guard let bytes else { return .failure(EngineError(.validation, "credentials_file \(file) does not exist")) }
        guard let found = Self.parseCredentials(String(decoding: bytes, as: UTF8.self), profile: s3.profile) else {
            return .failure(
                EngineError(
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
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard section == profile, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if key == "aws_access_key_id" { access = value }
            if key == "aws_secret_access_key" { secret = value }
        }
        guard let access, !access.isEmpty, let secret, !secret.isEmpty else { return nil }
        return S3Credentials(accessKey: access, secretKey: secret)
    }
}
