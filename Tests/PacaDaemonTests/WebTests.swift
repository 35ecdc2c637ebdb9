import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PacaClient
import PacaConfig
import PacaProtocol
import PacaTestSupport
import Synchronization
import Testing

@testable import PacaDaemon

/// pacad's HTTP side, through real HTTP on a real port: Host and Origin checks, the one-time
/// login, every route against every role, and what the pages and /metrics say.
@Suite(.serialized) struct WebTests {
    static let config = """
        http: {listen: "127.0.0.1:0"}
        access: {read: ["uid:2001"], operate: ["uid:2002"], admin: ["uid:2003"]}
        """

    /// Follows no redirect, so the tests see the 303s.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// Backs the set up and returns the record.
    static func backUp(_ daemon: InProcessDaemon) async throws -> Backup {
        switch try await daemon.call(Methods.backupCreate, BackupCreateParams(set: "data", reason: nil)) {
        case .finished(let backup): return backup
        case .admitted:
            Issue.record("the backup was only admitted")
            return Backup()
        }
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var bytes: [UInt8]
        var body: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// An HTTP/1.1 client that sends exactly the headers given (Host and Origin included).
    struct Browser {
        let port: Int
        var cookie: String?

        func send(_ method: HTTPMethod, _ path: String, host: String? = nil, origin: String? = nil, form: String? = nil) async throws
            -> Reply
        {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method
            request.headers.add(name: "Host", value: host ?? "127.0.0.1:\(port)")
            if let origin { request.headers.add(name: "Origin", value: origin) }
            if let cookie { request.headers.add(name: "Cookie", value: cookie) }
            if let form {
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: form))
            }
            let response = try await WebTests.client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            return Reply(status: Int(response.status.code), headers: response.headers, bytes: Array(buffer: body))
        }

        func get(_ path: String, host: String? = nil, origin: String? = nil) async throws -> Reply {
            try await send(.GET, path, host: host, origin: origin)
        }

        /// A form post from the dashboard's own pages.
        func post(_ path: String, form: String = "") async throws -> Reply {
            try await send(.POST, path, origin: "http://127.0.0.1:\(port)", form: form)
        }
    }

    /// Where the daemon's HTTP server listens.
    static func port(_ running: Daemon) async throws -> Int {
        let sessions = try #require(running.router.context.web)
        await eventually("the HTTP server to listen") { await sessions.endpoint != nil }
        let authority = try #require(await sessions.endpoint?.authority)
        return try #require(Int(authority.split(separator: ":").last ?? ""))
    }

    /// A browser signed in as `uid` (a token minted for that caller, redeemed at /login).
    static func browser(_ running: Daemon, uid: UInt32?) async throws -> Browser {
        var browser = Browser(port: try await port(running))
        guard let uid else { return browser }
        let (token, _) = await running.router.context.web!.mintToken(for: Caller(uid: uid, gid: uid))
        let login = try await browser.get("/login?token=\(token)")
        #expect(login.status == 303)
        let cookie = try #require(login.headers["Set-Cookie"].first)
        browser.cookie = String(cookie.split(separator: ";")[0])
        return browser
    }

    @Test func metricsAnswerWithoutALoginAndNameNoFiles() async throws {
        let daemon = try InProcessDaemon(extraConfig: Self.config)
        daemon.write("secret-name.txt", Array("x".utf8))
        try await daemon.run { running in
            _ = try await Self.backUp(daemon)
            let reply = try await Self.browser(running, uid: nil).get("/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers["Content-Type"].first?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(reply.body.contains("paca_build_info{version=\"\(PacaVersion.current)\"} 1"))
            #expect(reply.body.contains("paca_backups{set=\"data\",status=\"complete\"} 1"))
            #expect(reply.body.contains("paca_target_up{target=\"local\"} 1"))
            #expect(!reply.body.contains("secret-name") && !reply.body.contains("-data-"), "no file names, no backup ids")
        }
    }

    /// `/metrics` is computed at most once a second however often it is asked for, and scrapes
    /// that arrive together share one computation.
    @Test func metricsAreComputedAtMostOnceASecond() async throws {
        let clock = ManualClock()
        let cache = MetricsCache(clock: clock.serviceClock)
        let counter = Mutex(0)
        let compute: @Sendable () async -> String = {
            let n = counter.withLock { count in
                count += 1
                return count
            }
            await Task.yield()
            return "computed \(n)"
        }
        let texts = await withTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { await cache.text(compute) } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(texts) == ["computed 1"], "twenty scrapes at once, one computation")
        clock.advance(by: .milliseconds(900))
        #expect(await cache.text(compute) == "computed 1")
        clock.advance(by: .milliseconds(200))
        #expect(await cache.text(compute) == "computed 2", "a second later the text is computed again")
        #expect(await cache.computations == 2)
    }

    @Test func foreignHostsAndOriginsAreRefused() async throws {
        let daemon = try InProcessDaemon(extraConfig: Self.config)
        try await daemon.run { running in
            let browser = try await Self.browser(running, uid: 2003)
            let port = browser.port
            #expect(try await browser.get("/metrics", host: "evil.example:\(port)").status == 403, "DNS rebinding: a foreign Host")
            #expect(try await browser.get("/", host: "localhost:\(port)").status == 200, "localhost names the same loopback address")
            #expect(try await browser.get("/", origin: "http://evil.example").status == 403)
            #expect(try await browser.send(.POST, "/sets/data/backup", origin: "http://evil.example:\(port)").status == 403, "CSRF")
            #expect(try await browser.send(.POST, "/sets/data/backup").status == 403, "a change without an Origin")
            let refused = try await browser.get("/", host: "evil.example")
            #expect(refused.body.contains("is not this dashboard&#39;s address"))
        }
    }

    @Test func aLoginAddressWorksOnceAndTheCookieIsStrict() async throws {
        let daemon = try InProcessDaemon(extraConfig: Self.config)
        try await daemon.run { running in
            let login = try await daemon.call(Methods.webLogin)
            let port = try await Self.port(running)
            #expect(login.url.hasPrefix("http://127.0.0.1:\(port)/login?token="))
            #expect(login.url.count > 64 + 30, "256 bits of token")
            let path = String(login.url.dropFirst("http://127.0.0.1:\(port)".count))
            let browser = Browser(port: port)
            let first = try await browser.get(path)
            #expect(first.status == 303)
            let cookie = try #require(first.headers["Set-Cookie"].first)
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            #expect(try await browser.get(path).status == 401, "used once")
            #expect(try await browser.get("/login?token=\(String(repeating: "0", count: 64))").status == 401)
            #expect(first.headers["Referrer-Policy"].first == "no-referrer")
            var signedIn = browser
            signedIn.cookie = String(cookie.split(separator: ";")[0])
            #expect(try await signedIn.get("/").status == 200)
            #expect(try await signedIn.post("/logout").status == 200)
            #expect(try await signedIn.get("/").status == 401, "signed out")
        }
    }

    @Test func webLoginNeedsHTTP() async throws {
        let daemon = try InProcessDaemon()
        try await daemon.run { _ in
            do {
                _ = try await daemon.call(Methods.webLogin)
                Issue.record("web.login answered without http:")
            } catch let error as ClientError {
                #expect("\(error)".contains("serves no dashboard"))
            }
        }
    }

    /// Every route with no session and with each role: 401 without one, 403 below the role the
    /// route's method needs, an answer otherwise.
    @Test func everyRouteAgainstEveryRole() async throws {
        let daemon = try InProcessDaemon(extraConfig: Self.config)
        daemon.write("config.yaml", Array("a: 1\n".utf8))
        try await daemon.run { running in
            let one = try await Self.backUp(daemon).id
            daemon.write("config.yaml", Array("a: 2\n".utf8))
            let two = try await Self.backUp(daemon).id
            await running.router.context.files?.settle()
            let restoreTo = daemon.root + "/restored"
            // (method, path, form, the least role that may)
            let routes: [(HTTPMethod, String, String, Role?)] = [
                (.GET, "/metrics", "", nil), (.GET, "/assets/pacad.css", "", nil),
                (.GET, "/", "", .read), (.GET, "/backups", "", .read), (.GET, "/backups?where=status%20%3D%20%22complete%22", "", .read),
                (.GET, "/backups/\(two)", "", .read), (.GET, "/backups/\(two)?dir=source", "", .read),
                (.GET, "/history?set=data&path=source%2Fconfig.yaml", "", .read), (.GET, "/diff?from=\(one)&to=\(two)", "", .read),
                (.GET, "/charts?set=data", "", .read), (.GET, "/events", "", .read),
                (.GET, "/backups/\(two)/download?path=source", "", .operate),
                (.POST, "/sets/data/backup", "", .operate), (.POST, "/backups/\(two)/verify", "", .operate),
                (.POST, "/backups/\(one)/pin", "pinned=true", .admin),
                (.POST, "/backups/\(one)/restore", "destination=\(restoreTo)&path=source", .admin),
            ]
            let callers: [(UInt32?, Role?)] = [(nil, nil), (2001, .read), (2002, .operate), (2003, .admin)]
            for (uid, role) in callers {
                let browser = try await Self.browser(running, uid: uid)
                for (method, path, form, needed) in routes {
                    let reply = method == .GET ? try await browser.get(path) : try await browser.post(path, form: form)
                    let allowed: Bool
                    if let needed { allowed = role.map { $0 >= needed } ?? false } else { allowed = true }
                    let label = "\(method) \(path) as \(role.map(\.rawValue) ?? "nobody")"
                    if allowed {
                        #expect((200...303).contains(reply.status), "\(label): \(reply.status) \(reply.body.prefix(300))")
                    } else {
                        #expect(reply.status == (uid == nil ? 401 : 403), "\(label): \(reply.status)")
                    }
                }
            }
            #expect(FileManager.default.fileExists(atPath: restoreTo + "/source/config.yaml"), "the admin's restore wrote the folder")
            #expect(try await daemon.call(Methods.backupShow, BackupIDParams(id: one)).pinned)
        }
    }

    @Test func pagesShowTheSetHistoryAndDifference() async throws {
        let daemon = try InProcessDaemon(extraConfig: Self.config)
        try daemon.writeConfig(
            extra: Self.config,
            sets: "  data:\n    paths: [\(daemon.source)]\n    targets: [local]\n    rpo: 6h")
        daemon.write("config.yaml", Array("lr: 0.1\n".utf8))
        daemon.write("gone.txt", Array("bye".utf8))
        try await daemon.run { running in
            let one = try await Self.backUp(daemon).id
            daemon.write("config.yaml", Array("lr: 0.01, warmup: 100\n".utf8))
            try FileManager.default.removeItem(atPath: daemon.source + "/gone.txt")
            let two = try await Self.backUp(daemon).id
            await running.router.context.files?.settle()
            let browser = try await Self.browser(running, uid: 2001)
            let overview = try await browser.get("/")
            #expect(overview.body.contains("data-set=\"data\"") && overview.body.contains(two) && overview.body.contains("within RPO"))
            #expect(!overview.body.contains("Back up now"), "a reader is offered no action")
            let tree = try await browser.get("/backups/\(two)?dir=source")
            #expect(tree.body.contains("config.yaml") && !tree.body.contains("gone.txt"))
            let history = try await browser.get("/history?set=data&path=source%2Fconfig.yaml")
            #expect(history.body.components(separatedBy: "data-version=").count - 1 == 2, "two versions")
            #expect(history.body.contains("modified") && history.body.contains("(+14 B)"))
            let diff = try await browser.get("/diff?from=\(two)&to=\(one)")
            #expect(diff.body.contains("0 added, 1 modified, 1 removed"), "the order of from and to does not matter")
            #expect(diff.body.contains("source/gone.txt"))
            #expect(!(try await browser.get("/events").body.contains("Audit log")), "the audit log is for admins")
            #expect(try await Self.browser(running, uid: 2003).get("/events").body.contains("Audit log"))
            let metrics = try await browser.get("/metrics")
            #expect(metrics.body.contains("paca_rpo_target_seconds{set=\"data\"} 21600"))
            let status = try await daemon.call(Methods.daemonStatus)
            #expect(status.sets.first?.rpo?.past == false && status.sets.first?.rpo?.targetSeconds == 21600)
        }
    }

    /// Backups the file index does not hold (made before 0.13, or `files.sqlite` removed) are
    /// read from their archives at the next start: the tree and the history come back whole.
    @Test func aLostFileIndexIsReadBackFromTheArchives() async throws {
        let daemon = try InProcessDaemon(extraConfig: Self.config)
        daemon.write("config.yaml", Array("lr: 0.1\n".utf8))
        var ids: [String] = []
        try await daemon.run { running in
            ids.append(try await Self.backUp(daemon).id)
            daemon.write("config.yaml", Array("lr: 0.01\n".utf8))
            ids.append(try await Self.backUp(daemon).id)
            await running.router.context.files?.settle()
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/state") where name.hasPrefix("files.sqlite") {
            try FileManager.default.removeItem(atPath: daemon.root + "/state/" + name)
        }
        daemon.write("config.yaml", Array("lr: 0.001\n".utf8))
        try await daemon.run { running in
            let files = try #require(running.router.context.files)
            await files.settle()
            #expect(try await files.backups(set: "data").map(\.backupID) == ids, "both earlier backups are back, in order")
            ids.append(try await Self.backUp(daemon).id)
            await files.settle()
            let history = try #require(try await files.history(set: "data", path: "source/config.yaml"))
            #expect(history.versions.map(\.backupID) == ids.reversed(), "three versions, newest first")
            let browser = try await Self.browser(running, uid: 2001)
            let tree = try await browser.get("/backups/\(ids[0])?dir=source")
            #expect(tree.body.contains("config.yaml"), Comment(rawValue: String(tree.body.prefix(2000))))
            #expect(await files.lastProblem == nil)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/state/files/pending")
        #expect(leftovers.isEmpty, "no manifest copy is left behind: \(leftovers)")
        var capture = Backup()
        capture.status = .complete
        capture.checkpoint = "checkpoints/step-10"
        #expect(WebServer.notIndexed(capture).contains("checkpoint capture"))
        var failed = Backup()
        failed.status = .failed
        #expect(WebServer.notIndexed(failed).contains("is failed"))
    }

    /// A folder downloaded as a ZIP: real `unzip -t` passes, the files are the backup's, a caller
    /// who is not root gets only what they could have read, a sealed backup is refused.
    @Test func aFolderDownloadsAsAZipThatUnzipAccepts() async throws {
        let daemon = try InProcessDaemon(extraConfig: Self.config)
        daemon.write("configs/train.yaml", Array("lr: 0.1\n".utf8))
        daemon.write("configs/private.key", Array("secret".utf8), mode: 0o600)
        daemon.write("logs/run.log", Array(String(repeating: "step 1 loss 0.5\n", count: 5000).utf8))
        try await daemon.run { running in
            let backup = try await Self.backUp(daemon)
            let root = try await Self.browser(running, uid: 0)
            let reply = try await root.get("/backups/\(backup.id)/download?path=source")
            #expect(reply.status == 200 && reply.headers["Content-Type"].first == "application/zip")
            #expect(reply.headers["Content-Disposition"].first == "attachment; filename=\"\(backup.id)-source.zip\"")
            let zip = daemon.root + "/download.zip"
            // The body arrives as text here; write the bytes back out for unzip.
            try Data(reply.bytes).write(to: URL(fileURLWithPath: zip))
            let test = try run(["/usr/bin/unzip", "-t", zip])
            #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
            let listing = try run(["/usr/bin/unzip", "-Z1", zip]).stdout
            #expect(listing.contains("source/logs/run.log") && listing.contains("source/configs/private.key"), "root is served everything")
            let unpacked = daemon.root + "/unpacked"
            _ = try run(["/usr/bin/unzip", "-q", zip, "-d", unpacked])
            #expect(
                FileManager.default.contents(atPath: unpacked + "/source/logs/run.log")
                    == FileManager.default.contents(atPath: daemon.source + "/logs/run.log"))

            // uid 2002 could not have read private.key (0600, root's): it is left out, as from pacactl restore.
            let operate = try await Self.browser(running, uid: 2002)
            let limited = try await operate.get("/backups/\(backup.id)/download?path=source/configs")
            #expect(limited.status == 200)
            let limitedZip = daemon.root + "/limited.zip"
            try Data(limited.bytes).write(to: URL(fileURLWithPath: limitedZip))
            let names = try run(["/usr/bin/unzip", "-Z1", limitedZip]).stdout
            #expect(names.contains("source/configs/train.yaml") && !names.contains("private.key"))
            #expect(try await operate.get("/backups/\(backup.id)/download?path=source/nowhere").status == 404)
            #expect(
                try await Self.browser(running, uid: 2001).get("/backups/\(backup.id)/download").status == 403, "a reader may not restore")
        }
    }

    /// TLS with a certificate from openssl: the dashboard answers over HTTPS and the cookie is Secure.
    @Test func tlsServesHTTPSWithASecureCookie() async throws {
        let daemon = try InProcessDaemon()
        let (certificate, key) = (daemon.root + "/cert.pem", daemon.root + "/key.pem")
        let made = try run([
            "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj",
            "/CN=localhost",
        ])
        #expect(made.status == 0, "\(made.stderr)")
        try daemon.writeConfig(extra: "http: {listen: \"127.0.0.1:0\", tls: {certificate: \(certificate), key: \(key)}}")
        try await daemon.run { running in
            let port = try await Self.port(running)
            let login = try await daemon.call(Methods.webLogin)
            #expect(login.url.hasPrefix("https://127.0.0.1:\(port)/login?token="))
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
            configuration.tlsConfiguration = .makeClientConfiguration()
            configuration.tlsConfiguration?.certificateVerification = .none
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { _ = client.shutdown() }
            var request = HTTPClientRequest(url: login.url)
            request.headers.add(name: "Host", value: "127.0.0.1:\(port)")
            let reply = try await client.execute(request, timeout: .seconds(30))
            #expect(reply.status.code == 303)
            #expect(reply.headers["Set-Cookie"].first?.contains("Secure") == true)
            var plain = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
            plain.headers.add(name: "Host", value: "127.0.0.1:\(port)")
            #expect((try? await client.execute(plain, timeout: .seconds(5)))?.status != .ok, "no plain HTTP on a TLS listener")
        }
    }
}
