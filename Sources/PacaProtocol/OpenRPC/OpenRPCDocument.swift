public import PacaCore

/// The OpenRPC 1.3 document of protocol version 1, generated from ``Methods``: what a program in
/// another language needs to call pacad (every method's params, result, errors, and the role it
/// needs as `x-role`). pacad answers `rpc.discover` with it; `docs/protocol.openrpc.json` is the
/// same document, and a test fails when that file is stale.
public enum OpenRPCDocument {
    /// The protocol's version, as `info.version`.
    public static let protocolVersion = "1"

    public static let document: JSONValue = build()

    /// The document as the docs file holds it.
    public static var text: [UInt8] { document.prettyPrinted }

    private static func build() -> JSONValue {
        var schemas: [String: JSONValue] = [:]
        var methods: [JSONValue] = []
        for method in Methods.all {
            method.registerSchemas(&schemas)
            methods.append(describe(method))
        }
        schemas["Role"] = Role.wireSchema
        return [
            "openrpc": "1.3.2",
            "info": [
                "title": "pacad control protocol",
                "version": .string(protocolVersion),
                "description": """
                How pacactl and other programs talk to pacad (docs/protocol.md). Transport: a Unix stream socket \
                (/run/paca/pacad.sock under systemd). Framing: each message is a 4-byte unsigned big-endian length, \
                then that many bytes of UTF-8 JSON (16 MiB at most). Envelope: JSON-RPC 2.0, params by name. A request \
                with "progress": true gets `progress` notifications ({"jsonrpc":"2.0","method":"progress","params":\
                {"id":<request id>, ...Progress}}) before its reply. x-role is the role a caller needs: read, operate or admin.
                """,
            ],
            "servers": [["name": "pacad", "url": "unix:/run/paca/pacad.sock", "summary": "The daemon's control socket under systemd."]],
            "methods": .array(methods),
            "components": [
                "schemas": .object(schemas),
                "errors": .object(Dictionary(uniqueKeysWithValues: RPCErrorCode.allCases.map { ($0.name, error($0, $0.meaning)) })),
            ],
        ]
    }

    private static func describe(_ method: MethodDescriptor) -> JSONValue {
        var errors = method.errors.map { error($0.code, $0.when) }
        if !method.params.isEmpty && !method.errors.contains(where: { $0.code == .invalidParams }) {
            errors.append(error(.invalidParams, "a param is missing, empty, mistyped, out of range, or not one the method takes"))
        }
        let params: [JSONValue] = method.params.map { param in
            ["name": .string(param.name), "summary": .string(param.summary), "required": .bool(param.isRequired), "schema": param.schema]
        }
        return [
            "name": .string(method.name),
            "summary": .string(method.summary),
            "paramStructure": "by-name",
            "params": .array(params),
            "result": [
                "name": .string(method.resultName), "schema": method.name == Methods.discover.name ? metaSchema : method.resultSchema,
            ],
            "errors": .array(errors),
            "x-role": .string(method.role.rawValue),
            "x-progress": .bool(method.reportsProgress),
        ]
    }

    private static func error(_ code: RPCErrorCode, _ message: String) -> JSONValue {
        ["code": .int(Int64(code.rawValue)), "message": .string(message)]
    }

    /// The OpenRPC meta schema, which the `rpc.discover` result follows.
    private static let metaSchema: JSONValue = ["$ref": "https://raw.githubusercontent.com/open-rpc/meta-schema/master/schema.json"]
}
