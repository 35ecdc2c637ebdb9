import Foundation
public import PacaConfig
public import PacaS3

/// The SeaweedFS server `make test` starts (packaging/testing/seaweedfs.sh) and describes in
/// PACA_TEST_S3_* variables. Without them the S3 tests skip, unless PACA_REQUIRE_S3 is set (as
/// `make test` and CI do): then they fail, saying the server is missing.
public enum S3TestServer {
    static let environment = ProcessInfo.processInfo.environment
    public static let endpoint = environment["PACA_TEST_S3_ENDPOINT"]
    public static let isRequired = environment["PACA_REQUIRE_S3"] == "1"
    /// Whether the S3 tests run: a server is configured, or one is required (and its absence fails them).
    public static let isEnabled = endpoint != nil || isRequired

    public static var credentials: S3Credentials {
        S3Credentials(accessKey: environment["PACA_TEST_S3_ACCESS_KEY"] ?? "", secretKey: environment["PACA_TEST_S3_SECRET_KEY"] ?? "")
    }

    /// The credentials as pacad reads them from its environment.
    public static var keys: [String: String] {
        ["AWS_ACCESS_KEY_ID": credentials.accessKey, "AWS_SECRET_ACCESS_KEY": credentials.secretKey]
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "no S3 server for the tests: PACA_TEST_S3_ENDPOINT is not set (run `make test`, which starts SeaweedFS)"
        }
    }

    /// A client for a new, empty bucket of its own (made with the server's credentials; the client
    /// uses `credentials` when given, with two attempts per request).
    public static func client(
        bucketPrefix: String = "t", credentials: S3Credentials? = nil, addressing: S3Endpoint.Addressing = .path
    ) async throws -> S3Client {
        guard let endpoint else { throw Missing() }
        let bucket = "\(bucketPrefix)-\(UUID().uuidString.lowercased().prefix(18))"
        let location = try S3Endpoint.parse(endpoint, bucket: bucket, region: "us-east-1", addressing: addressing).get()
        let owner = S3Client(endpoint: location, credentials: Self.credentials, clock: { Int64(Date().timeIntervalSince1970) })
        try await owner.createBucket()
        guard let credentials else { return owner }
        return S3Client(endpoint: location, credentials: credentials, clock: { Int64(Date().timeIntervalSince1970) }, attempts: 2)
    }

    /// A new bucket on the server and a client for it with the server's credentials.
    public static func bucket() async throws -> (name: String, client: S3Client) {
        let client = try await client(bucketPrefix: "e")
        return (client.endpoint.bucket, client)
    }

    /// A configured S3 target on this server's bucket `bucket`.
    public static func target(_ name: String, bucket: String, partSize: Int = 5 << 20) -> DaemonConfig.Target {
        DaemonConfig.Target(
            name: name,
            kind: .s3(.init(endpoint: endpoint ?? "http://127.0.0.1:1", bucket: bucket, prefix: "{host}/pacad", partSize: partSize)))
    }
}
