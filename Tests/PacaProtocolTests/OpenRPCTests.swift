import Foundation
import PacaCore
import PacaTestSupport
import Testing

@testable import PacaProtocol

@Suite struct OpenRPCTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// docs/protocol.openrpc.json is what the contract generates: change a method, regenerate it
    /// (`make openrpc`), or this fails.
    @Test func thePublishedDocumentIsTheGeneratedOne() throws {
        let published = try Data(contentsOf: Self.repository.appendingPathComponent("docs/protocol.openrpc.json"))
        #expect(
            Array(published) == OpenRPCDocument.text,
            "docs/protocol.openrpc.json is stale: run `make openrpc` and commit the result")
    }

    @Test func everyMethodIsDescribedWithItsRoleParamsResultAndErrors() throws {
        let methods = OpenRPCDocument.document["methods"]
        guard case .array(let list)? = methods else { Issue.record("no methods"); return }
        #expect(list.count == Methods.all.count)
        let create = try #require(list.first { $0["name"] == "backup.create" })
        #expect(create["x-role"] == "operate")
        #expect(create["x-progress"] == true)
        guard case .array(let params)? = create["params"] else { Issue.record("no params"); return }
        #expect(params.compactMap { $0["name"] } == ["set", "reason", "wait", "progress", "full", "rehash"])
        #expect(params.first { $0["name"] == "wait" }?["schema"]?["default"] == true)
        #expect(create["result"]?["schema"]?["anyOf"] != nil)
        guard case .array(let errors)? = create["errors"] else { Issue.record("no errors"); return }
        #expect(errors.contains { $0["code"] == .int(-32001) })
        for method in list {
            #expect(method["x-role"] != nil && method["result"] != nil, "\(method["name"] ?? .null)")
        }
        #expect(OpenRPCDocument.document["components"]?["schemas"]?["Backup"]?["required"] != nil)
    }

    /// Roles are declared for every method, the way the permissions issue enforces them.
    @Test(arguments: [
        ("daemon.status", Role.read), ("backup.list", .read), ("backup.show", .read), ("events.list", .read), ("job.list", .read),
        ("data.get", .read), ("data.query", .read), ("rpc.discover", .read), ("backup.create", .operate), ("trigger.fire", .operate),
        ("backup.verify", .operate), ("restore.open", .operate), ("restore.read", .operate), ("restore.close", .operate),
        ("restore.run", .admin), ("job.run", .operate), ("backup.delete", .admin), ("backup.pin", .admin),
        ("backup.prune", .admin), ("job.add", .admin), ("job.remove", .admin), ("job.pause", .admin), ("job.resume", .admin),
        ("daemon.reload", .admin), ("data.put", .admin), ("data.update", .admin), ("data.delete", .admin), ("catalog.rebuild", .admin),
        ("audit.list", .admin), ("audit.verify", .admin),
    ])
    func eachMethodNeedsItsRole(name: String, role: Role) throws {
        #expect(try #require(Methods.named(name)).role == role)
    }

    /// The document itself follows the OpenRPC meta schema's basic shape, checked by jsonschema.
    @Test func theDocumentIsWellFormedOpenRPC() throws {
        let contentDescriptor: JSONValue = [
            "type": "object", "required": ["name", "schema"],
            "properties": ["name": ["type": "string"], "required": ["type": "boolean"], "schema": ["type": "object"]],
        ]
        let shape: JSONValue = [
            "type": "object", "required": ["openrpc", "info", "methods"],
            "properties": [
                "openrpc": ["type": "string", "pattern": "^1\\.[0-9]+\\.[0-9]+$"],
                "info": ["type": "object", "required": ["title", "version"]],
                "methods": [
                    "type": "array",
                    "items": [
                        "type": "object", "required": ["name", "params", "result"],
                        "properties": [
                            "name": ["type": "string"], "params": ["type": "array", "items": contentDescriptor],
                            "result": contentDescriptor,
                            "errors": [
                                "type": "array",
                                "items": ["type": "object", "required": ["code", "message"], "properties": ["code": ["type": "integer"]]],
                            ],
                        ],
                    ],
                ],
            ],
        ]
        let problems = try SchemaValidator.problems(
            [SchemaValidator.Case(title: "openrpc", schema: shape, instance: OpenRPCDocument.document)], components: [:])
        #expect(problems.isEmpty, "\(problems)")
    }

    /// Values the types write validate against the schema the types describe (and a broken one does not).
    @Test func valuesValidateAgainstTheirOwnSchema() throws {
        var backup = Backup()
        backup.id = "20261127T020000Z-training-3f9c"
        backup.deliveries = [Delivery()]
        backup.reason = "run 42"
        var progress = Progress()
        progress.percent = 41
        var broken = backup.wire
        if case .object(var members) = broken {
            members["status"] = "exploded"
            broken = .object(members)
        }
        let components = OpenRPCDocument.document["components"] ?? [:]
        let cases = [
            SchemaValidator.Case(title: "backup", schema: Backup.wireSchema, instance: backup.wire),
            SchemaValidator.Case(title: "progress", schema: Progress.wireSchema, instance: progress.wire),
            SchemaValidator.Case(title: "broken", schema: Backup.wireSchema, instance: broken),
        ]
        let problems = try SchemaValidator.problems(cases, components: components)
        #expect(problems.count == 1 && problems.first?.hasPrefix("broken: at /status") == true, "\(problems)")
    }
}
