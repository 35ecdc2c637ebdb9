import Foundation
public import PacaCore

/// Validates JSON values against JSON Schemas with Python's `jsonschema` (Draft 7, as OpenRPC
/// uses), an implementation that owes nothing to pacad's: Debian's python3-jsonschema, which
/// `make test` installs. All cases go to one Python process.
public enum SchemaValidator {
    public struct Case: Sendable {
        public var title: String
        public var schema: JSONValue
        public var instance: JSONValue
        public init(title: String, schema: JSONValue, instance: JSONValue) {
            self.title = title
            self.schema = schema
            self.instance = instance
        }
    }

    static let script = """
        import json, sys
        import jsonschema
        cases = json.load(open(sys.argv[1]))
        for case in cases:
            validator = jsonschema.Draft7Validator(case["schema"])
            for error in validator.iter_errors(case["instance"]):
                path = "/".join(str(part) for part in error.absolute_path)
                print(f"{case['title']}: at /{path}: {error.message}")
        """

    /// Problems found, one line each (`title: at /path: message`); empty when every case is valid.
    public static func problems(_ cases: [Case], components: JSONValue) throws -> [String] {
        let folder = TemporaryFolder()
        let payload: JSONValue = .array(
            cases.map { item in
                var schema = item.schema
                if case .object(var members) = schema {
                    members["components"] = components
                    schema = .object(members)
                }
                return ["title": .string(item.title), "schema": schema, "instance": item.instance]
            })
        folder.write("cases.json", payload.serialized)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, folder.sub("cases.json")]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let failed = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidatorMissing(detail: String(decoding: failed, as: UTF8.self))
        }
        return String(decoding: printed, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    public struct ValidatorMissing: Error, CustomStringConvertible {
        public var detail: String
        public var description: String {
            "python3 with jsonschema did not run (apt-get install python3-jsonschema; `make test` does): \(detail)"
        }
    }
}
