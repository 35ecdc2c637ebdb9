import AsyncHTTPClient
import Crypto
import Logging
import NIOCore
import NIOHTTP1
import PacaCore
public import PacaSystem

/// Where an S3 bucket is and how to address it.
public struct S3Endpoint: Sendable, Equatable {
    public enum Addressing: String, Sendable, Equatable, CaseIterable {
        /// `https://host/bucket/key`: MinIO, SeaweedFS, Ceph RGW and most self-hosted stores.
        case path
        /// `https://bucket.host/key`: AWS S3's preferred form.
        case virtualHost = "virtual-host"
    }

    public var isTLS: Bool
    public var host: String
    public var port: Int?
    public var bucket: String
    public var region: String
    public var addressing: Addressing

    /// Reads `endpoint` (`http://` or `https://` URL with host and optional port; no path, query
    /// or user info). Returns a reason when the URL cannot be used.
    public static func parse(
        _ endpoint: String, bucket: String, region: String, addressing: Addressing
    ) -> Result<S3Endpoint, EndpointProblem> {
        let isTLS: Bool
        var rest: Substring
        if endpoint.hasPrefix("https://") {
            isTLS = true
            rest = endpoint.dropFirst(8)
        } else if endpoint.hasPrefix("http://") {
            isTLS = false
            rest = endpoint.dropFirst(7)
        } else {
            return .failure(EndpointProblem("endpoint \"\(endpoint)\" must start with http:// or https://"))
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("/") || rest.contains("?") || rest.contains("@") || rest.contains("#") {
            return .failure(EndpointProblem("endpoint \"\(endpoint)\" must be scheme://host[:port] only, without a path or user"))
        }
        var host = rest
        var port: Int?
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            host = rest[..<colon]
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else {
                return .failure(EndpointProblem("endpoint \"\(endpoint)\" has a port that is not a number from 1 to 65535"))
            }
            port = number
        }
        guard !host.isEmpty else { return .failure(EndpointProblem("endpoint \"\(endpoint)\" has no host")) }
        guard Self.isValidBucket(bucket) else {
            return .failure(
                EndpointProblem(
                    "bucket \"\(bucket)\" is not a valid bucket name (3-63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit)"
                ))
        }
        guard !region.isEmpty, region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            return .failure(EndpointProblem("region \"\(region)\" is not a region name"))
        }
        return .success(S3Endpoint(isTLS: isTLS, host: String(host), port: port, bucket: bucket, region: region, addressing: addressing))
    }

    public struct EndpointProblem: Error, Sendable, Equatable {
        public var message: String
        init(_ message: String) { self.message = message }
    }

    static func isValidBucket(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func isAlnum(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        guard isAlnum(bytes.first!), isAlnum(bytes.last!) else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// The `Host` header: the bucket in front for virtual-host addressing, the port when not the default.
    var hostHeader: String {
        let name = addressing == .virtualHost ? "\(bucket).\(host)" : host
        guard let port, port != (isTLS ? 443 : 80) else { return name }
        return "\(name):\(port)"
    }

    /// The request path for `key` (nil: the bucket itself), URI-encoded as it is sent and signed.
    func path(for key: String?) -> String {
        let encodedKey = key.map { SigV4Signer.uriEncode($0, keepSlash: true) } ?? ""
        switch addressing {
        case .path: return "/\(bucket)" + (key == nil ? "" : "/" + encodedKey)
        case .virtualHost: return "/" + encodedKey
        }
    }

    /// What `status` and errors call this bucket: `http://host:port/bucket`, never credentials.
    public var display: String { "\(isTLS ? "https" : "http")://\(host)\(port.map { ":\($0)" } ?? "")/\(bucket)" }
}

/// An object as a listing shows it.
public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: UInt64
}

/// A multipart upload that was started and neither completed nor aborted.
public struct S3PendingUpload: Sendable, Equatable {
    public var key: String
    public var uploadID: String
}

/// The S3 requests pacad needs, signed with SigV4 and sent through AsyncHTTPClient, with retries
/// (exponential backoff with jitter) on connection errors, 5xx and throttling. Every request
/// pacad sends to S3 is idempotent, so retrying is safe.
public struct S3Client: Sendable {
    public let endpoint: S3Endpoint
    let signer: SigV4Signer
    /// The time requests are signed with: the real time, whatever clock the caller runs on,
    /// since servers refuse signatures more than minutes off theirs.
    let clock: @Sendable () -> Int64
    /// The clock retries wait on.
    let retryClock: ServiceClock
    /// Attempts per request, the first included.
    public var attempts: Int
    /// Attempts per read of an object's bytes (``get(_:range:)``, ``download(_:write:)``): twice
    /// ``attempts`` unless given. A restore waits on these reads and must start over when one
    /// fails, while a failed write is only a delivery the queue retries later, so reads outlast
    /// longer bursts of 500 and 503 (measured in docs/reliability.md).
    public var readAttempts: Int
    /// Wait before the first retry; doubles each time (plus up to as much again at random).
    public var backoff: Duration
    /// Longest wait between two attempts, before the random part.
    public var maximumBackoff: Duration
    /// Longest wait for a whole request, body included.
    public var timeout: Duration

    public init(
        endpoint: S3Endpoint, credentials: S3Credentials, clock: @escaping @Sendable () -> Int64, retryClock: ServiceClock = .system,
        attempts: Int = 5, readAttempts: Int? = nil, backoff: Duration = .milliseconds(200), maximumBackoff: Duration = .seconds(5),
        timeout: Duration = .seconds(300)
    ) {
        self.endpoint = endpoint
        self.signer = SigV4Signer(credentials: credentials, region: endpoint.region)
        self.clock = clock
        self.retryClock = retryClock
        self.attempts = attempts
        self.readAttempts = readAttempts ?? attempts * 2
        self.backoff = backoff
        self.maximumBackoff = maximumBackoff
        self.timeout = timeout
    }

    /// One HTTP client for the process: connections are pooled per host; redirects are not
    /// followed (S3 redirects mean a wrong region or endpoint, which should be an error).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(120)))
        configuration.httpVersion = .http1Only
        // Requests are retried here with backoff; AsyncHTTPClient's own retrying of refused
        // connections until the connect timeout would make a wrong endpoint take 10 s per attempt.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A response: status, headers and the whole body (S3's answers other than GETs are small).
    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    // MARK: Objects

    /// Stores `body` at `key` in one request. `payloadHash` (``SigV4Signer/payloadHash(_:)``)
    /// can be computed by the caller off the cooperative pool; it is computed here when nil.
    public func put(_ key: String, body: [UInt8], payloadHash: String? = nil) async throws(S3Error) {
        _ = try await send("PUT", key: key, body: body, payloadHash: payloadHash)
    }

    /// Writes object `key` into the open file `fd` from its start, resuming with a range request
    /// after a dropped connection. `write` is called with each block of about 4 MiB in order and
    /// should do its blocking I/O off the cooperative pool. Returns the object's size.
    public func download(
        _ key: String, write: @Sendable (_ block: [UInt8], _ offset: UInt64) async throws -> Void
    ) async throws(S3Error) -> UInt64 {
        let operation = "GET \(endpoint.bucket)/\(key)"
        var received: UInt64 = 0
        try await retrying(attempts: readAttempts) { () async throws(S3Error) in
            try await downloadAttempt(key, received: &received, operation: operation, write: write)
        }
        return received
    }

    /// One GET of `key` from byte `received` on, advancing `received` as blocks are written.
    private func downloadAttempt(
        _ key: String, received: inout UInt64, operation: String,
        write: @Sendable (_ block: [UInt8], _ offset: UInt64) async throws -> Void
    ) async throws(S3Error) {
        let headers = received > 0 ? [("Range", "bytes=\(received)-")] : []
        let response = try await execute(
            "GET", key: key, query: [], headers: headers, body: nil, payloadHash: SigV4Signer.emptyPayloadHash, operation: operation)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Array($0.readableBytesView) } ?? []
            throw Self.failure(status: status, reason: response.status.reasonPhrase, body: body, operation: operation)
        }
        if received > 0 && status != 206 {
            throw S3Error(.protocolViolation, message: "the server ignored the range of a resumed download", operation: operation)
        }
        var block: [UInt8] = []
        block.reserveCapacity(4 << 20)
        var iterator = response.body.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer?
            do { chunk = try await iterator.next() } catch let error as HTTPClientError {
                throw S3Error(.connection, message: Self.describe(error), operation: operation)
            } catch {
                throw S3Error(.connection, message: "\(error)", operation: operation)
            }
            if let chunk { block += chunk.readableBytesView }
            guard block.count >= 4 << 20 || (chunk == nil && !block.isEmpty) else {
                if chunk == nil { return }
                continue
            }
            do { try await write(block, received) } catch {
                throw S3Error(.protocolViolation, message: "writing the download failed: \(error)", operation: operation)
            }
            received += UInt64(block.count)
            block.removeAll(keepingCapacity: true)
            if chunk == nil { return }
        }
    }

    /// The bytes of `key`, or of `range` of it.
    public func get(_ key: String, range: ClosedRange<UInt64>? = nil) async throws(S3Error) -> [UInt8] {
        let headers = range.map { [("Range", "bytes=\($0.lowerBound)-\($0.upperBound)")] } ?? []
        return try await send(
            "GET", key: key, headers: headers, limit: range.map { Int($0.count) + 1024 } ?? 64 << 20, attempts: readAttempts
        ).body
    }

    /// The size of `key`, or nil when there is no such object.
    public func size(of key: String) async throws(S3Error) -> UInt64? {
        do {
            let response = try await send("HEAD", key: key)
            return response.headers.first(name: "content-length").flatMap { UInt64($0) }
        } catch  where error.isNotFound {
            return nil
        }
    }

    /// Deletes `key`; a missing object is not an error (S3 answers 204 either way).
    public func delete(_ key: String) async throws(S3Error) {
        do { _ = try await send("DELETE", key: key) } catch  where error.isNotFound {}
    }

    /// Every object whose key starts with `prefix`, in key order (follows continuation tokens).
    public func list(prefix: String) async throws(S3Error) -> [S3Object] {
        var objects: [S3Object] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            let root = try await xml(try await send("GET", key: nil, query: query), "ListObjectsV2 \(prefix)")
            for item in root.children("Contents") {
                guard let key = item.value("Key") else { continue }
                objects.append(S3Object(key: key, size: item.value("Size").flatMap { UInt64($0) } ?? 0))
            }
            token = root.value("IsTruncated") == "true" ? root.value("NextContinuationToken") : nil
        } while token != nil
        return objects
    }

    /// Checks that the bucket exists and these credentials may use it.
    public func checkBucket() async throws(S3Error) {
        // A one-key listing rather than HEAD: HEAD answers carry no body, so no error code to report.
        _ = try await send("GET", key: nil, query: [("list-type", "2"), ("max-keys", "1")])
    }

    /// Creates the bucket (tests and first-time setup); an existing bucket of ours is fine.
    public func createBucket() async throws(S3Error) {
        do { _ = try await send("PUT", key: nil) } catch
            where error.code == "BucketAlreadyOwnedByYou" || error.code == "BucketAlreadyExists"
        {}
    }

    // MARK: Multipart uploads

    /// Starts a multipart upload of `key` and returns its upload id.
    public func startMultipart(_ key: String) async throws(S3Error) -> String {
        let root = try await xml(try await send("POST", key: key, query: [("uploads", "")]), "CreateMultipartUpload \(key)")
        guard let id = root.value("UploadId"), !id.isEmpty else {
            throw S3Error(.protocolViolation, message: "no UploadId in the answer", operation: "POST \(endpoint.bucket)/\(key)?uploads")
        }
        return id
    }

    /// Uploads part `number` (1-based) and returns its ETag.
    public func uploadPart(
        _ key: String, uploadID: String, number: Int, body: [UInt8], payloadHash: String? = nil
    ) async throws(S3Error) -> String {
        let response = try await send(
            "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: body, payloadHash: payloadHash)
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error(.protocolViolation, message: "no ETag for part \(number)", operation: "PUT \(endpoint.bucket)/\(key)")
        }
        return etag
    }

    /// Completes the upload from its parts' ETags, in part order.
    public func completeMultipart(_ key: String, uploadID: String, etags: [String]) async throws(S3Error) {
        var body = "<CompleteMultipartUpload>"
        for (index, etag) in etags.enumerated() {
            body += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(Self.escaped(etag))</ETag></Part>"
        }
        body += "</CompleteMultipartUpload>"
        let response = try await send("POST", key: key, query: [("uploadId", uploadID)], body: Array(body.utf8))
        // S3 may answer 200 and still report an error in the body.
        let root = try await xml(response, "CompleteMultipartUpload \(key)")
        if root.name == "Error" {
            throw S3Error(
                .http(status: 500), code: root.value("Code"), message: root.value("Message") ?? "completing the upload failed",
                operation: "POST \(endpoint.bucket)/\(key)?uploadId")
        }
    }

    /// Aborts an upload so its parts are freed; an upload already gone is not an error.
    public func abortMultipart(_ key: String, uploadID: String) async throws(S3Error) {
        do { _ = try await send("DELETE", key: key, query: [("uploadId", uploadID)]) } catch  where error.isNotFound {}
    }

    /// Multipart uploads under `prefix` that were started and never completed or aborted.
    public func pendingUploads(prefix: String) async throws(S3Error) -> [S3PendingUpload] {
        var uploads: [S3PendingUpload] = []
        var marker: (key: String, id: String)?
        repeat {
            var query = [("uploads", ""), ("prefix", prefix)]
            if let marker { query += [("key-marker", marker.key), ("upload-id-marker", marker.id)] }
            let root = try await xml(try await send("GET", key: nil, query: query), "ListMultipartUploads \(prefix)")
            for item in root.children("Upload") {
                guard let key = item.value("Key"), let id = item.value("UploadId") else { continue }
                uploads.append(S3PendingUpload(key: key, uploadID: id))
            }
            if root.value("IsTruncated") == "true", let key = root.value("NextKeyMarker"), let id = root.value("NextUploadIdMarker") {
                marker = (key, id)
            } else {
                marker = nil
            }
        } while marker != nil
        return uploads
    }

    // MARK: Sending

    /// Sends one request, retrying what is worth retrying, and returns a 2xx response; anything
    /// else is thrown as an ``S3Error`` with S3's code and message.
    func send(
        _ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8]? = nil,
        payloadHash: String? = nil, limit: Int = 1 << 20, attempts: Int? = nil
    ) async throws(S3Error) -> Response {
        let operation = "\(method) \(endpoint.bucket)" + (key.map { "/\($0)" } ?? "")
        let payloadHash = payloadHash ?? body.map { SigV4Signer.payloadHash($0) } ?? SigV4Signer.emptyPayloadHash
        return try await retrying(attempts: attempts ?? self.attempts) { () async throws(S3Error) in
            try await sendOnce(
                method, key: key, query: query, headers: headers, body: body, payloadHash: payloadHash, limit: limit,
                operation: operation)
        }
    }

    /// Runs `body` up to `attempts` times while it fails with a retryable error, waiting
    /// ``backoff`` before the first retry and twice as long each time after (up to
    /// ``maximumBackoff``), plus up to as much again at random so many clients do not retry in step.
    private func retrying<T>(attempts: Int, _ body: () async throws(S3Error) -> T) async throws(S3Error) -> T {
        var delay = backoff
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch {
                guard error.isRetryable, attempt < attempts, !Task.isCancelled else { throw error }
                try? await retryClock.sleep(for: delay + delay * Double.random(in: 0...1))
                delay = min(delay * 2, maximumBackoff)
                attempt += 1
            }
        }
    }

    private func sendOnce(
        _ method: String, key: String?, query: [(String, String)], headers: [(String, String)], body: [UInt8]?,
        payloadHash: String, limit: Int, operation: String
    ) async throws(S3Error) -> Response {
        let response = try await execute(
            method, key: key, query: query, headers: headers, body: body, payloadHash: payloadHash, operation: operation)
        let received: [UInt8]
        do {
            received = Array(try await response.body.collect(upTo: method == "HEAD" ? 0 : limit).readableBytesView)
        } catch let error as HTTPClientError {
            throw S3Error(.connection, message: Self.describe(error), operation: operation)
        } catch is NIOTooManyBytesError {
            throw S3Error(.protocolViolation, message: "the answer is larger than \(limit) bytes", operation: operation)
        } catch {
            throw S3Error(.connection, message: "\(error)", operation: operation)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw Self.failure(status: status, reason: response.status.reasonPhrase, body: received, operation: operation)
        }
        return Response(status: status, headers: response.headers, body: received)
    }

    /// Signs and sends a request; returns the response with its body still to be read.
    private func execute(
        _ method: String, key: String?, query: [(String, String)], headers: [(String, String)], body: [UInt8]?,
        payloadHash: String, operation: String
    ) async throws(S3Error) -> HTTPClientResponse {
        let path = endpoint.path(for: key)
        var all = headers + [("host", endpoint.hostHeader)]
        if let body { all.append(("content-length", String(body.count))) }
        all += signer.sign(method: method, path: path, query: query, headers: all, payloadHash: payloadHash, unixSeconds: clock())
        let queryText = query.map { "\(SigV4Signer.uriEncode($0.0, keepSlash: false))=\(SigV4Signer.uriEncode($0.1, keepSlash: false))" }
            .joined(separator: "&")
        let port = endpoint.port.map { ":\($0)" } ?? ""
        let host = endpoint.addressing == .virtualHost ? "\(endpoint.bucket).\(endpoint.host)" : endpoint.host
        var request = HTTPClientRequest(
            url: "\(endpoint.isTLS ? "https" : "http")://\(host)\(port)\(path)" + (queryText.isEmpty ? "" : "?" + queryText))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in all where name != "content-length" { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            return try await Self.http.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
        } catch let error as HTTPClientError {
            throw S3Error(.connection, message: Self.describe(error), operation: operation)
        } catch {
            throw S3Error(.connection, message: "\(error)", operation: operation)
        }
    }

    /// The error for a non-2xx answer, with S3's code and message when its body has them.
    private static func failure(status: Int, reason: String, body: [UInt8], operation: String) -> S3Error {
        let root = try? XMLElement.parse(body)
        let message = root?.value("Message") ?? (reason.isEmpty ? "no message" : reason)
        return S3Error(.http(status: status), code: root?.value("Code") ?? code(forStatus: status), message: message, operation: operation)
    }

    private func xml(_ response: Response, _ what: String) async throws(S3Error) -> XMLElement {
        do { return try XMLElement.parse(response.body) } catch {
            throw S3Error(.protocolViolation, message: "\(what): \(error)", operation: what)
        }
    }

    /// S3's code for an error status with no body (HEAD answers).
    private static func code(forStatus status: Int) -> String? {
        switch status {
        case 403: "AccessDenied"
        case 404: "NotFound"
        default: nil
        }
    }

    private static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .connectTimeout: "connecting timed out"
        case .readTimeout: "no answer in time"
        case .deadlineExceeded: "the request took too long"
        case .remoteConnectionClosed: "the server closed the connection"
        default: "\(error)"
        }
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
