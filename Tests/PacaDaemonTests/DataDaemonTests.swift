import Foundation
import PacaClient
import PacaProtocol
import PacaTestSupport
import Synchronization
import Testing

/// The record store through a real pacad: the data.* methods, pacactl data, queries over the
/// backup catalog, and a kill -9 in the middle of writes.
@Suite(.serialized) struct DataDaemonTests {
    static let stores = """
        stores:
          app: {type: sqlite, index: [age, user.city]}
          log: {type: file, index: [age]}
          scratch: {type: memory, index: [age]}
          hot: {type: cache, of: app, capacity: 100, ttl: 1m}
        """

    @Test func recordsRoundTripThroughPacactlWithVersionsAndQueries() async throws {
        let daemon = try DaemonHarness(extraConfig: Self.stores)
        try await daemon.start()
        for store in ["app", "log", "scratch", "hot"] {
            let put = try await daemon.pacactl(["data", "put", store, #"{"name": "Kim", "age": 24, "user": {"city": "서울"}}"#, "--json"])
            #expect(put.status == 0, "\(store): \(put.stderr)")
            let id = try #require(put.json["id"] as? String)
            #expect(put.json["version"] as? Int == 1)
            _ = try await daemon.pacactl(["data", "put", store, #"{"name": "Lee", "age": 17}"#])
            let updated = try await daemon.pacactl([
                "data", "update", store, id, #"{"name": "Kim", "age": 25, "user": {"city": "서울"}}"#, "--if-version", "1", "--json",
            ])
            #expect(updated.json["version"] as? Int == 2, "\(store): \(updated.stderr)")
            let stale = try await daemon.pacactl(["data", "update", store, id, "{}", "--if-version", "1"])
            #expect(stale.status == 1 && stale.stderr.contains("is at version 2, not 1"), "\(store): \(stale.stderr)")
            let found = try await daemon.pacactl(["data", "query", store, "--where", #"age >= 18 and user.city = "서울""#, "--json"])
            let records = found.json["records"] as? [[String: Any]] ?? []
            #expect(records.map { $0["id"] as? String } == [id], "\(store): \(found.stdout) \(found.stderr)")
            let sorted = try await daemon.pacactl(["data", "query", store, "--sort", "age:desc", "--limit", "1", "--json"])
            #expect(((sorted.json["records"] as? [[String: Any]])?.first?["data"] as? [String: Any])?["age"] as? Int == 25)
            #expect(try await daemon.pacactl(["data", "get", store, id]).stdout.contains("version 2"))
            #expect(try await daemon.pacactl(["data", "delete", store, id]).status == 0)
            #expect(try await daemon.pacactl(["data", "get", store, id]).status == 4)
        }
        await daemon.stop()
    }

    @Test func badInputIsNamedAndWritesNothing() async throws {
        let daemon = try DaemonHarness(extraConfig: Self.stores)
        try await daemon.start()
        let badJSON = try await daemon.pacactl(["data", "put", "app", "{name: Kim}"])
        #expect(badJSON.status == 2 && badJSON.stderr.contains("not valid JSON"), "\(badJSON.stderr)")
        let unknownStore = try await daemon.pacactl(["data", "put", "nope", "{}"])
        #expect(unknownStore.status == 4 && unknownStore.stderr.contains(#"no store named "nope""#), "\(unknownStore.stderr)")
        let syntax = try await daemon.pacactl(["data", "query", "app", "--where", "age >= "])
        #expect(syntax.status == 2 && syntax.stderr.contains("column 8: expected a value"), "\(syntax.stderr)")
        // Filters a typed client could not even build: sent as raw frames.
        let operatorError = try RawClient(daemon.socket).call(
            "data.query", ["store": "app", "filter": ["field": "age", "op": "between", "value": 1]])
        let message = ((operatorError["error"] as? [String: Any])?["message"] as? String) ?? ""
        #expect(message.contains(#"unknown operator "between""#), "\(operatorError)")
        let shape = try RawClient(daemon.socket).call("data.query", ["store": "app", "filter": ["field": "age", "op": "in", "value": 3]])
        #expect(((shape["error"] as? [String: Any])?["message"] as? String)?.contains("in needs a list of values") == true)
        let wrongType = try await daemon.pacactl(["data", "put", "app", #""3""#, "--type", "integer"])
        #expect(wrongType.status == 1 && wrongType.stderr.contains("type integer needs a whole number"), "\(wrongType.stderr)")
        let readOnly = try await daemon.pacactl(["data", "put", "catalog", "{}"])
        #expect(readOnly.status == 1 && readOnly.stderr.contains("read-only"), "\(readOnly.stderr)")
        // Names and values that look like SQL mean only themselves.
        let odd = #"{"select * from records; --": "x'); DROP TABLE records; --", "%": "_"}"#
        #expect(try await daemon.pacactl(["data", "put", "app", odd]).status == 0)
        let found = try await daemon.pacactl([
            "data", "query", "app", "--where", #"`select * from records; --` like "x'%" and `%` = "_""#, "--json",
        ])
        #expect((found.json["records"] as? [[String: Any]])?.count == 1, "\(found.stdout) \(found.stderr)")
        let all = try await daemon.pacactl(["data", "query", "app", "--json"])
        #expect((all.json["records"] as? [[String: Any]])?.count == 1, "bad input wrote nothing")
        await daemon.stop()
    }

    @Test func theBackupCatalogAnswersQueries() async throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.writeConfig(sets: "  training:\n    paths: [\(daemon.source)]\n  logs:\n    paths: [\(daemon.source)]\n")
        try await daemon.start()
        for set in ["training", "logs", "training"] { #expect(try await daemon.pacactl(["backup", "now", "--set", set]).status == 0) }
        let listed = try await daemon.pacactl([
            "backup", "list", "--where", #"set = "training" and bytes_in > 1B and finished_at >= 2020-01-01"#, "--sort", "started_at:desc",
            "--limit", "10",
            "--json",
        ])
        #expect(listed.status == 0, "\(listed.stderr)")
        let backups = listed.json["backups"] as? [[String: Any]] ?? []
        #expect(backups.count == 2 && backups.allSatisfy { $0["set"] as? String == "training" })
        #expect((backups.first?["started_at"] as? String ?? "") >= (backups.last?["started_at"] as? String ?? ""))
        let none = try await daemon.pacactl(["backup", "list", "--where", "bytes_in > 1GB", "--json"])
        #expect((none.json["backups"] as? [[String: Any]])?.isEmpty == true)
        let catalog = try await daemon.pacactl(["data", "query", "catalog", "--where", #"set = "logs""#, "--json"])
        #expect((catalog.json["records"] as? [[String: Any]])?.count == 1)
        await daemon.stop()
    }

    /// Writers keep putting records while pacad is killed with SIGKILL; after a restart every
    /// write that was acknowledged is there, in the file store and in SQLite.
    @Test(arguments: ["log", "app"])
    func aKillDuringWritesLosesNothingAcknowledged(store: String) async throws {
        let daemon = try DaemonHarness(extraConfig: Self.stores)
        try await daemon.start()
        let acknowledged = Mutex<[String: Int]>([:])
        let group = DispatchGroup()
        let socket = daemon.socket
        for writer in 0..<4 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                guard let client = try? RawClient(socket, timeout: 5) else { return }
                for index in 0..<100_000 {
                    let value = writer * 1_000_000 + index
                    guard
                        let reply = try? client.call(
                            "data.put",
                            ["store": store, "data": ["writer": writer, "n": value, "pad": String(repeating: "x", count: 200)]]),
                        let id = (reply["result"] as? [String: Any])?["id"] as? String
                    else { return }
                    acknowledged.withLock { $0[id] = value }
                }
            }
        }
        // Let the writers get going, then kill without warning.
        await eventually("300 acknowledged writes") { acknowledged.withLock { $0.count } >= 300 }
        await daemon.stop(SIGKILL)
        group.wait()
        let written = acknowledged.withLock { $0 }
        #expect(written.count >= 300)
        try await daemon.start()
        let connection = try Connection(paths: [daemon.socket])
        var missing = 0
        for (id, value) in written {
            let record = try connection.call(Methods.dataGet, DataGetParams(store: store, id: id)).result
            if record.data["n"] != .int(Int64(value)) { missing += 1 }
        }
        #expect(missing == 0, "\(missing) of \(written.count) acknowledged records are gone")
        await daemon.stop()
    }
}
