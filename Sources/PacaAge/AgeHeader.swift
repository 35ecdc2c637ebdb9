/// An age v1 header: recipient stanzas and the MAC that binds them to the file key
/// (C2SP age, "Header"). Parsing is strict, as the specification asks: one byte form per header.
public struct AgeHeader: Sendable {
    /// One recipient stanza: `-> TYPE ARGUMENTS…` and a base64 body wrapped at 64 columns.
    public struct Stanza: Sendable, Equatable {
        public var type: String
        public var arguments: [String]
        public var body: [UInt8]

        public init(type: String, arguments: [String], body: [UInt8]) {
            self.type = type
            self.arguments = arguments
            self.body = body
        }
    }

    static let versionLine = Array("age-encryption.org/v1".utf8)
    /// Headers longer than this are refused: pacad writes a few hundred bytes per recipient.
    public static let maximumLength = 1 << 20

    public var stanzas: [Stanza]
    /// HMAC-SHA-256 of everything before it, keyed from the file key.
    var mac: [UInt8]
    /// The bytes the MAC covers: the header up to and including `---`.
    var authenticated: [UInt8]
    /// The header's length in the file, its final newline included; the payload nonce follows.
    public let length: Int

    /// Parses the header at the start of `bytes`. Returns nil when `bytes` ends before the header
    /// does and `isWhole` is false (read more and try again); throws when it is not an age v1 header.
    public static func parse(_ bytes: [UInt8], isWhole: Bool) throws(AgeError) -> AgeHeader? {
        var lines = LineReader(bytes: bytes)
        func line() throws(AgeError) -> ArraySlice<UInt8>? {
            if let line = lines.next() { return line }
            if isWhole || bytes.count >= maximumLength {
                throw AgeError(.header, bytes.isEmpty ? "the file is empty, not an age file" : "the age header is cut short")
            }
            return nil
        }
        guard let version = try line() else { return nil }
        guard version.elementsEqual(versionLine) else {
            throw AgeError(
                .header,
                version.starts(with: "age-encryption.org/".utf8)
                    ? "the file is of an age version this build does not read (\(String(decoding: version.prefix(40), as: UTF8.self)))"
                    : "the file is not an age file (no age-encryption.org/v1 header)")
        }
        var stanzas: [Stanza] = []
        while true {
            guard let text = try line() else { return nil }
            if text.starts(with: "--- ".utf8) {
                let end = text.startIndex + 3
                guard let mac = Base64.decode(text[(end + 1)...]), mac.count == 32 else {
                    throw AgeError(.header, "the age header's MAC line is malformed")
                }
                return AgeHeader(stanzas: stanzas, mac: mac, authenticated: Array(bytes[..<end]), length: lines.position)
            }
            guard text.starts(with: "-> ".utf8) else { throw AgeError(.header, "the age header has a line that is not a stanza") }
            let fields = text.dropFirst(3).split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard !fields.isEmpty, fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy { (33...126).contains($0) } }) else {
                throw AgeError(.header, "an age stanza has an empty or invalid argument")
            }
            var body: [UInt8] = []
            while true {
                guard let bodyLine = try line() else { return nil }
                guard bodyLine.count <= 64, let decoded = Base64.decode(bodyLine) else {
                    throw AgeError(.header, "an age stanza's body is not canonical base64 in lines of 64 columns")
                }
                body += decoded
                if bodyLine.count < 64 { break }
            }
            let words = fields.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(Stanza(type: words[0], arguments: Array(words.dropFirst()), body: body))
        }
    }

    /// The header's bytes for `stanzas`, with its MAC under `fileKey`.
    static func encode(_ stanzas: [Stanza], fileKey: FileKey) -> [UInt8] {
        let out = text(of: stanzas)
        let mac = fileKey.headerMAC(out)
        return out + Array((" " + Base64.encode(mac) + "\n").utf8)
    }

    /// The bytes the MAC covers for `stanzas`: the version line, the stanzas, `---`.
    static func text(of stanzas: [Stanza]) -> [UInt8] {
        var out = versionLine + [UInt8(ascii: "\n")]
        for stanza in stanzas {
            out += Array(("-> " + ([stanza.type] + stanza.arguments).joined(separator: " ") + "\n").utf8)
            let body = Array(Base64.encode(stanza.body).utf8)
            var start = 0
            repeat {
                let end = min(start + 64, body.count)
                out += body[start..<end] + [UInt8(ascii: "\n")]
                start += 64
            } while start <= body.count
        }
        return out + Array("---".utf8)
    }
}

/// Lines ending in `\n` (never `\r\n`: a CR is an error where it shows).
struct LineReader {
    let bytes: [UInt8]
    var position = 0

    mutating func next() -> ArraySlice<UInt8>? {
        guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        defer { position = end + 1 }
        return bytes[position..<end]
    }
}
