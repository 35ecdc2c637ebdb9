import Crypto
import PacaCore

/// An S3 access key pair. Its description never shows the secret (it may end up in a log).
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKey: String
    public var secretKey: String

    public init(accessKey: String, secretKey: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    public var description: String { "access key \(accessKey) (secret not shown)" }
}

/// AWS Signature Version 4 for S3 requests sent with an `Authorization` header
/// (docs.aws.amazon.com, "Authenticating Requests: Using the Authorization Header").
///
/// The payload is signed by its SHA-256 (``payloadHash(_:)``), which S3 checks against the bytes
/// it received, so a part damaged on the way is refused rather than stored.
public struct SigV4Signer: Sendable {
    public var credentials: S3Credentials
    public var region: String
    public var service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The SHA-256 of a request body, hex, as `x-amz-content-sha256` carries it.
    public static func payloadHash(_ body: [UInt8]) -> String { SHA256.hash(data: body).hex }

    /// The hash of an empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The headers to add to a request: `x-amz-date`, `x-amz-content-sha256` and `Authorization`.
    ///
    /// - Parameters:
    ///   - path: the request path as sent, already URI-encoded (``uriEncode(_:keepSlash:)``).
    ///   - query: decoded query parameters; they are encoded and sorted here.
    ///   - headers: every other header that is sent (at least `host`); all are signed.
    ///   - unixSeconds: the request time.
    public func sign(
        method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String,
        unixSeconds: Int64
    ) -> [(String, String)] {
        let time = CivilTime(unixSeconds: unixSeconds)
        let day = pad(time.year, 4) + pad(time.month, 2) + pad(time.day, 2)
        let amzDate = day + "T" + pad(time.hour, 2) + pad(time.minute, 2) + pad(time.second, 2) + "Z"
        let all = headers + [("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)]
        let canonical = canonicalRequest(method: method, path: path, query: query, headers: all, payloadHash: payloadHash)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SHA256.hash(data: Array(canonical.request.utf8)).hex)"
        let signature = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(day: day)).hex
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        return [("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate), ("Authorization", authorization)]
    }

    /// The canonical request and its signed-header list (exposed for tests against AWS's examples).
    func canonicalRequest(
        method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String
    ) -> (request: String, signedHeaders: String) {
        let encoded: [(name: String, value: String)] = query.map { pair in
            (Self.uriEncode(pair.0, keepSlash: false), Self.uriEncode(pair.1, keepSlash: false))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let canonicalQuery = sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
        var merged: [String: [String]] = [:]
        for (name, value) in headers { merged[name.lowercased(), default: []].append(Self.trimmed(value)) }
        let names = merged.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        let signed = names.joined(separator: ";")
        return ("\(method)\n\(path)\n\(canonicalQuery)\n\(canonicalHeaders)\n\(signed)\n\(payloadHash)", signed)
    }

    private func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// Percent-encodes everything but `A-Z a-z 0-9 - . _ ~` (and `/` when `keepSlash`), as SigV4
    /// wants for object keys in paths (`keepSlash`) and for query names and values.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Leading and trailing spaces removed, inner runs of spaces made one.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self { out += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Digest {
    var hex: String { Array(self).hex }
}

extension HashedAuthenticationCode {
    var hex: String { Array(self).hex }
}
