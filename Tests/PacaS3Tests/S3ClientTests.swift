import Foundation
import PacaTestSupport
import Testing

@testable import PacaS3

@Suite(.enabled(if: S3TestServer.isEnabled, "needs the SeaweedFS server that `make test` starts"))
struct S3ClientTests {
    @Test func objectsRoundTrip() async throws {
        let s3 = try await S3TestServer.client()
        let keys = ["host/set/a.zip", "host/set/with space & 서울.zip", "host/other/b.zip.sha256"]
        for (index, key) in keys.enumerated() { try await s3.put(key, body: Array("body \(index)".utf8)) }
        #expect(try await s3.get(keys[1]) == Array("body 1".utf8))
        #expect(try await s3.get(keys[0], range: 2...3) == Array("dy".utf8))
        #expect(try await s3.size(of: keys[2]) == 6)
        #expect(try await s3.size(of: "host/none") == nil)
        #expect(try await s3.list(prefix: "host/set/").map(\.key) == [keys[0], keys[1]])
        try await s3.delete(keys[0])
        try await s3.delete(keys[0])  // already gone: fine
        #expect(try await s3.list(prefix: "host/").map(\.key) == [keys[2], keys[1]])
        await #expect(throws: S3Error.self) { try await s3.get(keys[0]) }
    }

    @Test func listingFollowsContinuationTokens() async throws {
        let s3 = try await S3TestServer.client()
        for index in 0..<1005 { try await s3.put(String(format: "p/%04d", index), body: []) }
        let listed = try await s3.list(prefix: "p/")
        #expect(listed.count == 1005)
        #expect(listed.map(\.key) == listed.map(\.key).sorted())
    }

    @Test func multipartUploadAndAbort() async throws {
        let s3 = try await S3TestServer.client()
        let first = [UInt8](repeating: 7, count: 5 << 20)
        let second = Array("tail".utf8)
        let upload = try await s3.startMultipart("big/archive.zip")
        let etags = [
            try await s3.uploadPart("big/archive.zip", uploadID: upload, number: 1, body: first),
            try await s3.uploadPart("big/archive.zip", uploadID: upload, number: 2, body: second),
        ]
        #expect(try await s3.size(of: "big/archive.zip") == nil)  // invisible until completed
        try await s3.completeMultipart("big/archive.zip", uploadID: upload, etags: etags)
        #expect(try await s3.size(of: "big/archive.zip") == UInt64(first.count + second.count))
        #expect(try await s3.get("big/archive.zip", range: UInt64(first.count)...UInt64(first.count + 3)) == second)

        let abandoned = try await s3.startMultipart("big/abandoned.zip")
        _ = try await s3.uploadPart("big/abandoned.zip", uploadID: abandoned, number: 1, body: first)
        #expect(try await s3.pendingUploads(prefix: "big/").map(\.uploadID) == [abandoned])
        try await s3.abortMultipart("big/abandoned.zip", uploadID: abandoned)
        #expect(try await s3.pendingUploads(prefix: "big/").isEmpty)
        #expect(try await s3.size(of: "big/abandoned.zip") == nil)
    }

    @Test func wrongCredentialsAreRefusedWithoutShowingTheSecret() async throws {
        let secret = "definitely-not-the-secret-\(UUID().uuidString)"
        for credentials in [
            S3Credentials(accessKey: S3TestServer.credentials.accessKey, secretKey: secret),
            S3Credentials(accessKey: "NOSUCHKEY0000", secretKey: secret),
        ] {
            let s3 = try await S3TestServer.client(credentials: credentials)
            do {
                try await s3.put("x", body: [1])
                Issue.record("a PUT with wrong credentials was accepted")
            } catch {
                #expect(error.kind == .http(status: 403), "\(error)")
                #expect(["SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied"].contains(error.code ?? ""), "\(error)")
                #expect(!error.description.contains(secret))
                #expect(error.description.contains("credentials"), "\(error)")
            }
        }
    }

    @Test func missingBucketIsNamed() async throws {
        let s3 = try await S3TestServer.client()
        let missing = S3Client(
            endpoint: try S3Endpoint.parse(S3TestServer.endpoint!, bucket: "no-such-bucket-pacad", region: "us-east-1", addressing: .path)
                .get(),
            credentials: S3TestServer.credentials, clock: { Int64(Date().timeIntervalSince1970) })
        _ = s3
        await #expect { try await missing.checkBucket() } throws: { error in
            (error as? S3Error)?.code == "NoSuchBucket" && "\(error)".contains("create the bucket")
        }
    }

    @Test func unreachableEndpointIsAConnectionErrorAfterRetries() async throws {
        let endpoint = try S3Endpoint.parse("http://127.0.0.1:9", bucket: "bucket", region: "us-east-1", addressing: .path).get()
        let s3 = S3Client(
            endpoint: endpoint, credentials: S3Credentials(accessKey: "a", secretKey: "b"), clock: { 0 }, attempts: 3,
            backoff: .milliseconds(10))
        let started = ContinuousClock.now
        await #expect { try await s3.put("x", body: [1]) } throws: { error in
            (error as? S3Error)?.kind == .connection && "\(error)".contains("PUT bucket/x")
        }
        #expect(ContinuousClock.now - started >= .milliseconds(30))  // two backoffs of at least 10 and 20 ms
    }
}

@Suite struct S3EndpointTests {
    @Test func parsesAndRefuses() throws {
        let aws = try S3Endpoint.parse(
            "https://s3.eu-west-1.amazonaws.com", bucket: "my.bucket-1", region: "eu-west-1", addressing: .virtualHost
        ).get()
        #expect(aws.hostHeader == "my.bucket-1.s3.eu-west-1.amazonaws.com")
        #expect(aws.path(for: "a b/c.zip") == "/a%20b/c.zip")
        let local = try S3Endpoint.parse("http://127.0.0.1:8333/", bucket: "backups", region: "us-east-1", addressing: .path).get()
        #expect(local.hostHeader == "127.0.0.1:8333")
        #expect(local.path(for: "h/s/x.zip") == "/backups/h/s/x.zip")
        #expect(local.path(for: nil) == "/backups")
        for (endpoint, bucket, fragment) in [
            ("ftp://host", "bucket", "http:// or https://"), ("http://host/path", "bucket", "without a path"),
            ("http://user:pw@host", "bucket", "without a path or user"), ("http://host:99999", "bucket", "port"),
            ("http://host", "Bad_Bucket", "not a valid bucket name"), ("http://", "bucket", "no host"),
        ] {
            switch S3Endpoint.parse(endpoint, bucket: bucket, region: "us-east-1", addressing: .path) {
            case .success: Issue.record("\(endpoint) \(bucket) was accepted")
            case .failure(let problem): #expect(problem.message.contains(fragment), "\(problem.message)")
            }
        }
    }
}

/// Retries against a server that answers the first five requests for each object with 503
/// SlowDown: reads outlast the burst, writes give up after their own attempts.
@Suite struct S3RetryTests {
    static let busyServer = """
        import http.server, sys, collections
        seen = collections.Counter()
        class Busy(http.server.BaseHTTPRequestHandler):
            def answer(self, body):
                seen[self.path] += 1
                if seen[self.path] <= 5:
                    body, status = b"<Error><Code>SlowDown</Code><Message>busy</Message></Error>", 503
                else:
                    status = 200
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                self.answer(b"payload" if self.path != "/bucket/count" else str(seen["/bucket/read"]).encode())
            def do_PUT(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.answer(b"")
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Busy)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    @Test func readsOutlastABurstThatEndsWrites() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.busyServer]
        let out = Pipe()
        process.standardOutput = out
        try launch(process)
        defer { process.terminate() }
        var line: [UInt8] = []
        while let byte = try out.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { line.append(byte) }
        let port = try #require(Int(String(decoding: line, as: UTF8.self)), "the test server printed no port")
        let endpoint = try S3Endpoint.parse("http://127.0.0.1:\(port)", bucket: "bucket", region: "us-east-1", addressing: .path).get()
        let s3 = S3Client(
            endpoint: endpoint, credentials: S3Credentials(accessKey: "a", secretKey: "b"), clock: { 0 }, attempts: 3,
            backoff: .milliseconds(1), maximumBackoff: .milliseconds(4))
        #expect(s3.readAttempts == 6)
        #expect(try await s3.get("read") == Array("payload".utf8))
        await #expect { try await s3.put("write", body: [1]) } throws: { error in
            (error as? S3Error)?.kind == .http(status: 503) && (error as? S3Error)?.code == "SlowDown"
        }
        // The sixth GET of "read" was the one that succeeded; "count" itself went through its burst.
        #expect(try await s3.get("count") == Array("6".utf8))
    }
}
