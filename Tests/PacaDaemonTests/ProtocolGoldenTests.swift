import Foundation
import PacaCore
import PacaProtocol
import PacaTestSupport
import Testing

/// Replays every `exchange` block of docs/protocol.md against a real pacad and checks each reply has
/// the documented shape: the same keys at every level and the same values, except for values that
/// belong to one particular run (ids, paths, times, sizes of compressed data, messages), which
/// need only have the same JSON type.
@Suite(.serialized) struct ProtocolGoldenTests {
    static let documentedID = "20261127T020000Z-training-3f9c"
    static let runDependent: Set<String> = [
        "pid", "started_at", "finished_at", "uptime_seconds", "seconds", "sha256", "manifest_sha256", "path", "paths", "archive",
        "destination", "socket",
        "state_dir", "config", "file", "message", "bytes_stored", "ratio", "bytes", "verified_at", "next_due", "last_run", "time",
        "backup", "last_backup", "created_at", "updated_at", "location", "delivered_at", "free_bytes", "checked_at", "base", "references",
        "session", "size", "groups", "lines",
    ]
    static let documentedSession = "6f1c2a9e-3b4d7aa0-9e5d01c3-7b2f44e8"
    static let documentedRecordID = "019ac7c27fa0003e56e8f865"

    struct Exchange {
        var title: String
        var request: String
        var reply: String
    }

    static func exchanges() throws -> [Exchange] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/protocol.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        var result: [Exchange] = []
        var title = ""
        var request: String?
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### ") { title = String(line.dropFirst(4)) }
            if line == "```exchange" { inBlock = true } else if line == "```" { inBlock = false }
            guard inBlock else { continue }
            if line.hasPrefix("→ ") { request = String(line.dropFirst(2)) }
            if line.hasPrefix("← "), let sent = request {
                result.append(Exchange(title: title, request: sent, reply: String(line.dropFirst(2))))
                request = nil
            }
        }
        return result
    }

    /// Differences between what the docs show and what the daemon sent, as readable paths.
    static func differences(_ documented: Any, _ actual: Any, at path: String, key: String? = nil) -> [String] {
        switch (documented, actual) {
        case (let doc as [String: Any], let real as [String: Any]):
            var found: [String] = []
            if Set(doc.keys) != Set(real.keys) {
                found.append("\(path): keys \(doc.keys.sorted()) documented, \(real.keys.sorted()) sent")
            }
            for (name, value) in doc {
                guard let other = real[name] else { continue }
                let isRunDependent = runDependent.contains(name) || (name == "id" && path != "$")
                found +=
                    isRunDependent
                    ? sameType(value, other, at: path + "." + name) : differences(value, other, at: path + "." + name, key: name)
            }
            return found
        case (let doc as [Any], let real as [Any]):
            guard doc.count == real.count else { return ["\(path): \(doc.count) items documented, \(real.count) sent"] }
            return zip(doc, real).enumerated().flatMap { differences($1.0, $1.1, at: "\(path)[\($0)]") }
        default:
            let same = (documented as? NSObject)?.isEqual(actual) ?? false
            return same ? [] : ["\(path): \(documented) documented, \(actual) sent"]
        }
    }

    static func sameType(_ documented: Any, _ actual: Any, at path: String) -> [String] {
        func kind(_ value: Any) -> String {
            switch value {
            case is NSNull: "null"
            case is String: "string"
            case is [Any]: "array"
            case is [String: Any]: "object"
            default: "number"
            }
        }
        return kind(documented) == kind(actual) ? [] : ["\(path): a \(kind(documented)) documented, a \(kind(actual)) sent"]
    }

    @Test func everyDocumentedExchangeMatchesTheDaemon() async throws {
        let exchanges = try Self.exchanges()
        let methods = Set(
            exchanges.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.request.utf8)) as? [String: Any])?["method"] as? String
            })
        for method in [
            "daemon.status", "daemon.reload", "backup.create", "backup.list", "backup.show", "backup.verify", "backup.delete",
            "restore.open", "restore.read", "restore.close", "restore.run", "data.put", "data.get", "data.update", "data.delete",
            "data.query",
        ] {
            #expect(methods.contains(method), "docs/protocol.md has no example for \(method)")
        }

        let daemon = try DaemonHarness()
        let source = daemon.root + "/training"
        try FileManager.default.createDirectory(atPath: source + "/configs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: source + "/data", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: source + "/ckpt", withIntermediateDirectories: true)
        try "lr: 0.001\nbatch_size: 64\nepochs: 10\n".write(toFile: source + "/configs/train.yaml", atomically: false, encoding: .utf8)
        try (0..<2000).map { "{\"text\": \"sample \($0)\", \"label\": \($0 % 3)}\n" }.joined()
            .write(toFile: source + "/data/part-0.jsonl", atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: source + "/ckpt/step-10.pt", contents: Data((0..<300_000).map { UInt8($0 * 37 % 251) }))
        try daemon.writeConfig(
            extra: "jobs:\n  nightly: {cron: \"0 2 * * *\", set: training}\nstores:\n  app: {type: sqlite, index: [age]}",
            sets: """
                  training:
                    paths: [\(source)]
                    exclude: ["*.tmp"]
                    targets: [local]
                    triggers: [training_start, config_change]
                    watch: [\(source)/configs]
                """)
        try await daemon.start()

        let client = try RawClient(daemon.socket)
        var cases: [SchemaValidator.Case] = []
        var backupID = Self.documentedID
        var recordID = Self.documentedRecordID
        var session = Self.documentedSession
        for exchange in exchanges {
            let request = exchange.request.replacingOccurrences(of: Self.documentedID, with: backupID)
                .replacingOccurrences(of: Self.documentedRecordID, with: recordID)
                .replacingOccurrences(of: Self.documentedSession, with: session)
                .replacingOccurrences(of: "\"/srv/restore\"", with: "\"\(daemon.root)/restore\"")
            client.sendFrame(Array(request.utf8))
            var reply = client.receive()
            while reply?["method"] as? String == "progress" { reply = client.receive() }
            let received = try #require(reply, "no reply to \(exchange.title)")
            if let made = (received["result"] as? [String: Any])?["id"] as? String, exchange.title == "backup.create" { backupID = made }
            if let made = (received["result"] as? [String: Any])?["id"] as? String, exchange.title == "data.put" { recordID = made }
            if let made = (received["result"] as? [String: Any])?["session"] as? String, exchange.title == "restore.open" { session = made }
            let documented = try JSONSerialization.jsonObject(with: Data(exchange.reply.utf8))
            let found = Self.differences(documented, received, at: "$")
            #expect(found.isEmpty, "\(exchange.title): \(found.joined(separator: "; "))")
            cases += try Self.schemaCases(exchange, reply: received)
        }
        // What the docs show and what the daemon sent both follow the published schema.
        let problems = try SchemaValidator.problems(cases, components: OpenRPCDocument.document["components"] ?? [:])
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(cases.count > 40)

        // rpc.discover answers with the published document.
        let discovered = try client.call("rpc.discover")
        let document = try JSONValue.parse(Array(JSONSerialization.data(withJSONObject: discovered["result"] ?? NSNull())))
        #expect(document == OpenRPCDocument.document)
        await daemon.stop()
    }

    /// Schema checks for one exchange: the request's params against the method's params, the
    /// documented and the received results against its result schema.
    static func schemaCases(_ exchange: Exchange, reply: [String: Any]) throws -> [SchemaValidator.Case] {
        let request = try JSONValue.parse(Array(exchange.request.utf8))
        guard case .string(let name)? = request["method"], let method = Methods.named(name) else { return [] }
        var properties: [String: JSONValue] = [:]
        for param in method.params { properties[param.name] = param.schema }
        let paramsSchema: JSONValue = [
            "type": "object", "properties": .object(properties), "additionalProperties": false,
            "required": .array(method.params.filter(\.isRequired).map { .string($0.name) }),
        ]
        let documented = try JSONValue.parse(Array(exchange.reply.utf8))
        // Error examples send bad params on purpose; the others send what the schema allows.
        guard documented["result"] != nil else { return [] }
        var cases = [SchemaValidator.Case(title: "\(exchange.title) params", schema: paramsSchema, instance: request["params"] ?? [:])]
        let received = try JSONValue.parse(Array(JSONSerialization.data(withJSONObject: reply)))
        for (label, value) in [("documented", documented), ("received", received)] {
            guard let result = value["result"] else { continue }
            cases.append(SchemaValidator.Case(title: "\(exchange.title) \(label) result", schema: method.resultSchema, instance: result))
        }
        return cases
    }

    @Test func theComparisonCatchesAChangedShape() async {
        let documented: [String: Any] = ["id": 1, "result": ["files": 3, "path": "/a", "status": "complete"]]
        #expect(Self.differences(documented, ["id": 1, "result": ["files": 3, "path": "/b", "status": "complete"]], at: "$").isEmpty)
        #expect(!Self.differences(documented, ["id": 1, "result": ["files": 4, "path": "/a", "status": "complete"]], at: "$").isEmpty)
        #expect(!Self.differences(documented, ["id": 1, "result": ["files": 3, "path": "/a", "state": "complete"]], at: "$").isEmpty)
        #expect(!Self.differences(documented, ["id": 1, "result": ["files": 3, "path": NSNull(), "status": "complete"]], at: "$").isEmpty)
        #expect(!Self.differences(documented, ["id": 2, "result": ["files": 3, "path": "/a", "status": "complete"]], at: "$").isEmpty)
    }
}
