import PacaCore
import PacaProtocol

/// The parsers that read what callers and config files send: each input either parses or is
/// refused with the parser's own error, and what parses obeys a property that would fail if the
/// parser were wrong (a round trip, or two evaluators agreeing). A crash ends the program; a hang
/// is caught by the ``Watchdog``.
enum TextFuzzers {
    // MARK: JSON values

    static let keys = ["id", "name", "step", "metrics", "eval_loss", "tags", "a", "b.c", "데이터", "\u{0}", "\"", "\\"]
    static let strings = ["", "x", "run 42", "학습", "tab\there", "nul\u{0}", "quote\"", "back\\slash", "emoji 🤖", "\u{7f}\u{1f}"]

    static func value(_ r: inout Random, depth: Int = 0) -> JSONValue {
        switch r.below(depth > 4 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(r.chance(50))
        case 2: return .int(r.pick([0, 1, -1, Int64.max, Int64.min, Int64(r.below(1_000_000)) - 500_000]))
        case 3:
            return .double(r.pick([0.5, -0.0, 1e300, -1e-300, 0.31, 123_456.789, Double(r.below(10_000)) / 7]))
        case 4: return .string(r.pick(strings) + (r.chance(30) ? r.pick(strings) : ""))
        case 5: return .array((0..<r.below(5)).map { _ in value(&r, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<r.below(5) { members[r.pick(keys)] = value(&r, depth: depth + 1) }
            return .object(members)
        }
    }

    /// Changes a few bytes of `bytes`: flips, inserts of JSON's own punctuation, deletions,
    /// truncation, or a deep nest of brackets.
    static func mutate(_ bytes: [UInt8], _ r: inout Random) -> [UInt8] {
        var bytes = bytes
        let punctuation = Array("{}[]\":,\\ \n0-.eE+tfn\u{0}".utf8) + [0xC3, 0xFF, 0xED, 0xA0, 0x80]
        for _ in 0..<(1 + r.below(4)) {
            let at = r.below(bytes.count + 1)
            switch r.below(6) {
            case 0 where at < bytes.count: bytes[at] = UInt8(truncatingIfNeeded: r.next())
            case 1: bytes.insert(r.pick(punctuation), at: at)
            case 2 where at < bytes.count: bytes.remove(at: at)
            case 3: bytes = Array(bytes.prefix(at))
            case 4: bytes.insert(contentsOf: [UInt8](repeating: r.chance(50) ? 0x5B : 0x7B, count: 1 + r.below(2_000)), at: at)
            default: bytes.insert(contentsOf: Array(r.pick(["1e999", "-", "\"\\u", "\\ud800", "tru", "nul", "0.", "1E"]).utf8), at: at)
            }
        }
        return bytes
    }

    /// JSON text: what serializes must parse back to the same value; what parses after a
    /// mutation must serialize to text that parses back to it again.
    @discardableResult
    static func json(_ r: inout Random) throws(Violation) -> Bool {
        let original = value(&r)
        let text = original.serialized
        guard let back = try? JSONValue.parse(text) else { throw Violation("serialized JSON did not parse: \(show(text))") }
        guard back.serialized == text else { throw Violation("round trip changed \(show(text)) into \(show(back.serialized))") }
        let pretty = original.prettyPrinted
        guard (try? JSONValue.parse(pretty))?.serialized == text else { throw Violation("pretty-printed JSON did not parse back") }
        let mutated = mutate(text, &r)
        if let parsed = try? JSONValue.parse(mutated) {
            let again = parsed.serialized
            guard (try? JSONValue.parse(again))?.serialized == again else {
                throw Violation("accepted \(show(mutated)) but its serialization \(show(again)) does not round-trip")
            }
            return true
        }
        return false
    }

    // MARK: Frames and requests

    /// Every method of the contract, and names that are none.
    static let methods = Methods.all.map(\.name) + ["", "x.y", "backup..now", "\u{0}"]

    static func request(_ r: inout Random) -> [UInt8] {
        var members: [String: JSONValue] = ["jsonrpc": .string("2.0"), "method": .string(r.pick(methods))]
        if r.chance(80) { members["id"] = r.chance(70) ? .int(Int64(r.below(1 << 20))) : value(&r) }
        if r.chance(80) { members["params"] = r.chance(80) ? .object(["where": value(&r), "limit": value(&r)]) : value(&r) }
        if r.chance(10) { members["jsonrpc"] = value(&r) }
        return JSONValue.object(members).serialized
    }

    static func payload(_ r: inout Random, limit: Int) -> [UInt8] {
        let bytes: [UInt8]
        switch r.below(10) {
        case 0..<4: bytes = request(&r)
        case 4..<7: bytes = mutate(request(&r), &r)
        default: bytes = r.bytes(r.below(300))
        }
        return Array(bytes.prefix(limit))
    }

    /// Checks what the server does with one frame's payload: a request decodes, or is refused
    /// with an error reply; a decoded request encodes to text that decodes to the same text.
    static func decodeRequest(_ payload: [UInt8]) throws(Violation) {
        switch RPCRequest.decode(payload) {
        case .success(let request):
            // Compared as text: JSON has one kind of number, and an integral double is written as
            // an integer (1E0 comes back as 1), so values may change case but never meaning.
            guard case .success(let again) = RPCRequest.decode(request.encoded), again.encoded == request.encoded else {
                throw Violation("request \(show(payload)) does not survive its own encoding")
            }
        case .failure(let failure):
            guard !failure.error.message.isEmpty else { throw Violation("a refusal without a message for \(show(payload))") }
        }
        _ = try? RPCResponse.decode(payload)
    }

    /// The frame decoder fed a byte stream in random pieces (one byte at a time to hundreds):
    /// valid frames come out exactly as they went in, however they were split; a stream of
    /// anything else ends in frames or a clean refusal, never in an unbounded buffer.
    @discardableResult
    static func frames(_ r: inout Random) throws(Violation) -> Bool {
        let limit = r.pick([64, 4096, Frame.defaultMaximumSize])
        var decoder = FrameDecoder(maximumSize: limit)
        let valid = r.chance(50)
        var sent: [[UInt8]] = []
        var stream: [UInt8] = []
        if valid {
            for _ in 0..<(1 + r.below(8)) {
                let payload = payload(&r, limit: limit)
                sent.append(payload)
                stream += Frame.encode(payload)
            }
        } else {
            for _ in 0..<(1 + r.below(6)) {
                if r.chance(50) {
                    stream += Frame.encode(payload(&r, limit: limit))
                } else {
                    stream += r.chance(50) ? Frame.header(r.below(limit * 2 + 8)) : r.bytes(r.below(200))
                }
            }
        }
        var received: [[UInt8]] = []
        var index = 0
        reading: while index < stream.count {
            let piece = 1 + r.below(r.chance(30) ? 3 : 600)
            decoder.append(stream[index..<min(index + piece, stream.count)])
            index += piece
            while true {
                let next: [UInt8]?
                do {
                    next = try decoder.next()
                } catch {
                    if valid { throw Violation("valid frames refused: \(error)") }
                    break reading  // the server closes the connection here
                }
                guard let next else { break }
                guard next.count <= limit else { throw Violation("a \(next.count)-byte frame passed a \(limit)-byte limit") }
                received.append(next)
                try decodeRequest(next)
            }
            guard decoder.pendingByteCount <= limit + 4 + 600 else {
                throw Violation("the decoder holds \(decoder.pendingByteCount) bytes under a \(limit)-byte limit")
            }
        }
        if valid {
            guard received == sent, decoder.pendingByteCount == 0 else {
                throw Violation("sent \(sent.count) frames, received \(received.count), \(decoder.pendingByteCount) bytes left over")
            }
        }
        return received.contains { if case .success = RPCRequest.decode($0) { true } else { false } }
    }

    // MARK: Queries

    static let queryWords = [
        "name", "metrics.eval_loss", "tags", "a.b.c", "\"odd key\"", "step", "=", "!=", "<", "<=", ">", ">=", "like", "in", "and",
        "or", "not", "(", ")", "[", "]", ",", "\"run%\"", "\"x\\\"y\"", "`a.b`", "\"%_\\\\\"", "0", "-1.5", "1e3", "10MB", "2GiB", "true",
        "false",
        "null", "'학습'", "~", "&&", "\u{0}", "'", "\"", "..", ".", "5d",
    ]

    static func queryValue(_ r: inout Random) -> String {
        r.pick([
            "0", "1", "-2.5", "0.31", "1e3", "10MB", "2GiB", "90s", "1h30m", "2026-11-01", "2026-11-01T02:00:00Z", "\"run 42\"",
            "\"학습\"", "\"x\\\"y\\u00e9\"", "true", "false", "null", "\"\"", String(r.below(1000)),
        ])
    }

    /// A query from the language's grammar: comparisons of paths with values, joined by and/or,
    /// under not and parentheses.
    static func queryExpression(_ r: inout Random, depth: Int = 0) -> String {
        func term() -> String {
            switch r.below(10) {
            case 0: return "not " + term()
            case 1 where depth < 4: return "(" + queryExpression(&r, depth: depth + 1) + ")"
            default:
                let path = r.pick(["name", "step", "tags", "metrics.eval_loss", "a", "`odd key`", "metrics", "missing.deep"])
                switch r.below(8) {
                case 0:
                    return path + r.pick([" in (", " not in ("])
                        + (0..<(1 + r.below(3))).map { _ in queryValue(&r) }.joined(separator: ", ") + ")"
                case 1: return path + " like " + r.pick(["\"run%\"", "\"%4_\"", "\"%\"", "\"\\%\"", "\"학%\""])
                default: return path + " " + r.pick(["=", "!=", "<", "<=", ">", ">="]) + " " + queryValue(&r)
                }
            }
        }
        return (0..<(1 + r.below(3))).map { _ in term() }.joined(separator: r.chance(50) ? " and " : " or ")
    }

    static func record(_ r: inout Random) -> Record {
        var data: [String: JSONValue] = [:]
        for key in ["name", "step", "tags", "a", "odd key", "metrics.eval_loss"] where r.chance(70) { data[key] = value(&r) }
        if r.chance(70) { data["metrics"] = .object(["eval_loss": r.chance(80) ? .double(Double(r.below(1000)) / 1000) : value(&r)]) }
        return Record(
            id: "r\(r.below(100))", data: .object(data), type: .inferred(for: .object(data)), createdAt: Int64(r.below(1_000_000)),
            updatedAt: Int64(r.below(1_000_000)))
    }

    /// The query language: text either parses or is refused with a QueryError; a parsed filter
    /// survives its JSON form, and the compiled evaluator agrees with the plain one on records.
    @discardableResult
    static func query(_ r: inout Random) throws(Violation) -> Bool {
        var text: String
        if r.chance(60) {
            text = queryExpression(&r)
            if r.chance(30) {  // one slip of the pen
                var scalars = Array(text.unicodeScalars)
                let at = r.below(scalars.count + 1)
                if r.chance(50), at < scalars.count {
                    scalars.remove(at: at)
                } else {
                    scalars.insert(contentsOf: r.pick(queryWords).unicodeScalars, at: at)
                }
                text = String(String.UnicodeScalarView(scalars))
            }
        } else if r.chance(15) {
            text = String(decoding: r.bytes(r.below(60)), as: UTF8.self)
        } else {
            text = (0..<(1 + r.below(12))).map { _ in r.pick(queryWords) }.joined(separator: r.chance(80) ? " " : "")
            if r.chance(5) { text = String(repeating: r.chance(50) ? "(" : "not ", count: 1 + r.below(500)) + text }
        }
        let filter: Filter
        do {
            filter = try QueryText.parse(text)
        } catch {
            guard !error.description.isEmpty else { throw Violation("an empty refusal for \(text.debugDescription)") }
            return false
        }
        guard let back = try? Filter(json: filter.json), back == filter else {
            throw Violation("\(text.debugDescription) parsed, but its JSON form does not read back")
        }
        let compiled = CompiledFilter(filter)
        for _ in 0..<4 {
            let record = record(&r)
            guard filter.matches(record) == compiled.matches(record) else {
                throw Violation("\(text.debugDescription): the compiled filter and the plain one disagree on \(record.data)")
            }
        }
        return true
    }

    // MARK: Cron

    static let cronAtoms = [
        "*", "0", "59", "60", "23", "24", "1", "31", "32", "12", "13", "7", "-1", "*/5", "*/0", "1-5", "5-1", "1-31/7", "mon", "FRI",
        "jan", "dec", "sun-sat", "L", "?", "1,2,3", ",", "0-59/61", "99999999999999999999", "", "2/3", "mon-fri/2",
    ]

    /// Cron expressions: parse or a CronError; a parsed one's next runs, in UTC and in a zone
    /// with daylight saving time, come after the instant asked and strictly in order.
    @discardableResult
    static func cron(_ r: inout Random, zones: [ZoneRules]) throws(Violation) -> Bool {
        var text: String
        if r.chance(10) {
            text = r.pick(["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@reboot", "@every", "@"])
        } else if r.chance(60) {
            // Field by field, mostly in range: minute, hour, day of month, month, day of week.
            let ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
            text = ranges.map { low, high in
                func number() -> Int { r.chance(90) ? low + r.below(high - low + 1) : high + 1 }
                switch r.below(6) {
                case 0, 1: return "*"
                case 2: return "*/\(1 + r.below(high))"
                case 3: return "\(number())-\(number())" + (r.chance(30) ? "/\(1 + r.below(10))" : "")
                case 4: return (0..<(1 + r.below(3))).map { _ in "\(number())" }.joined(separator: ",")
                default: return "\(number())"
                }
            }.joined(separator: " ")
        } else {
            let fields = r.chance(85) ? 5 : r.below(8)
            text = (0..<fields).map { _ in (0..<(1 + r.below(3))).map { _ in r.pick(cronAtoms) }.joined(separator: r.chance(70) ? "," : "")
            }
            .joined(separator: r.chance(90) ? " " : "\t")
        }
        if r.chance(5) { text = String(decoding: r.bytes(r.below(40)), as: UTF8.self) }
        let expression: CronExpression
        do {
            expression = try CronExpression(text)
        } catch {
            guard !error.description.isEmpty else { throw Violation("an empty refusal for \(text.debugDescription)") }
            return false
        }
        let start = Int64(1_700_000_000 + r.below(400_000_000))
        for zone in zones {
            let fires = expression.nextFires(after: start, count: 4, in: zone)
            var previous = start
            for fire in fires {
                guard fire > previous else {
                    throw Violation("\(text.debugDescription) in \(zone.name): after \(previous) the next run is \(fire)")
                }
                previous = fire
            }
        }
        return true
    }
}

/// Bytes for a report line: printable ASCII as is, the rest escaped, at most 120 of them.
func show(_ bytes: [UInt8]) -> String {
    var out = ""
    for byte in bytes.prefix(120) {
        if byte >= 0x20 && byte < 0x7F && byte != 0x5C {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            out += "\\x" + String(byte, radix: 16)
        }
    }
    return "\"" + out + (bytes.count > 120 ? "…" : "") + "\""
}
