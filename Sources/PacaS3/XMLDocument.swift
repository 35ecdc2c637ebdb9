/// The little XML that S3 answers with (`ListBucketResult`, `InitiateMultipartUploadResult`,
/// `Error`, ...), read into a tree of elements and their text.
///
/// Not a general XML parser: attributes, processing instructions, comments and DOCTYPEs are
/// skipped, namespaces are ignored (an element is known by its local name), and the five
/// predefined entities plus numeric character references are decoded. That is all S3's
/// responses use; anything malformed is an error, never a guess. (Foundation's XMLParser would
/// bring libxml2 into a daemon that only needs this.)
struct XMLElement: Sendable, Equatable {
    var name: String
    var text: String
    var children: [XMLElement]

    /// The first child named `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`.
    func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The text of the first child named `name`.
    func value(_ name: String) -> String? { child(name)?.text }

    struct ParseError: Error, Sendable, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "malformed XML at byte \(offset): \(reason)" }
    }

    /// Parses a document and returns its root element.
    static func parse(_ bytes: [UInt8]) throws(ParseError) -> XMLElement {
        var reader = Reader(bytes: bytes)
        return try reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func document() throws(ParseError) -> XMLElement {
            try skipMisc()
            guard index < bytes.count else { throw ParseError(offset: index, reason: "no root element") }
            let root = try element()
            try skipMisc()
            guard index == bytes.count else { throw ParseError(offset: index, reason: "content after the root element") }
            return root
        }

        /// Skips white space, `<?...?>`, comments and `<!DOCTYPE ...>` between elements.
        mutating func skipMisc() throws(ParseError) {
            while index < bytes.count {
                if isSpace(bytes[index]) {
                    index += 1
                } else if starts("<?") {
                    try skip(past: "?>")
                } else if starts("<!--") {
                    try skip(past: "-->")
                } else if starts("<!") && !starts("<![CDATA[") {
                    try skip(past: ">")
                } else {
                    return
                }
            }
        }

        mutating func element() throws(ParseError) -> XMLElement {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw ParseError(offset: index, reason: "expected '<'") }
            index += 1
            let name = try nameToken()
            // Attributes are skipped, honouring quotes.
            var quote: UInt8?
            while index < bytes.count {
                let byte = bytes[index]
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") {
                    break
                }
                index += 1
            }
            guard index < bytes.count else { throw ParseError(offset: index, reason: "unterminated tag <\(name)") }
            if bytes[index] == UInt8(ascii: "/") {
                guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ">") else {
                    throw ParseError(offset: index, reason: "expected '/>' in <\(name)")
                }
                index += 2
                return XMLElement(name: localName(name), text: "", children: [])
            }
            index += 1
            var text: [UInt8] = []
            var children: [XMLElement] = []
            while true {
                guard index < bytes.count else { throw ParseError(offset: index, reason: "<\(name)> is never closed") }
                if starts("</") {
                    index += 2
                    let closing = try nameToken()
                    guard closing == name else { throw ParseError(offset: index, reason: "</\(closing)> closes <\(name)>") }
                    while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
                        throw ParseError(offset: index, reason: "expected '>' after </\(name)")
                    }
                    index += 1
                    return XMLElement(name: localName(name), text: String(decoding: text, as: UTF8.self), children: children)
                } else if starts("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text += bytes[start..<index - 3]
                } else if starts("<!--") || starts("<?") {
                    try skipMisc()
                } else if bytes[index] == UInt8(ascii: "<") {
                    children.append(try element())
                } else if bytes[index] == UInt8(ascii: "&") {
                    text += try entity()
                } else {
                    text.append(bytes[index])
                    index += 1
                }
            }
        }

        mutating func entity() throws(ParseError) -> [UInt8] {
            let start = index
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: ";")), end - index <= 12 else {
                throw ParseError(offset: start, reason: "unterminated entity")
            }
            let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
            index = end + 1
            switch name {
            case "amp": return [UInt8(ascii: "&")]
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "quot": return [UInt8(ascii: "\"")]
            case "apos": return [UInt8(ascii: "'")]
            default:
                var code: UInt32?
                if name.hasPrefix("#x") {
                    code = UInt32(name.dropFirst(2), radix: 16)
                } else if name.hasPrefix("#") {
                    code = UInt32(name.dropFirst())
                }
                guard let code, let scalar = Unicode.Scalar(code) else {
                    throw ParseError(offset: start, reason: "unknown entity &\(name);")
                }
                return Array(String(Character(scalar)).utf8)
            }
        }

        mutating func nameToken() throws(ParseError) -> String {
            let start = index
            while index < bytes.count, !isSpace(bytes[index]), ![UInt8(ascii: ">"), UInt8(ascii: "/")].contains(bytes[index]) {
                index += 1
            }
            guard index > start else { throw ParseError(offset: start, reason: "expected an element name") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func skip(past terminator: String) throws(ParseError) {
            let pattern = Array(terminator.utf8)
            while index + pattern.count <= bytes.count {
                if bytes[index..<index + pattern.count].elementsEqual(pattern) {
                    index += pattern.count
                    return
                }
                index += 1
            }
            throw ParseError(offset: index, reason: "expected \"\(terminator)\"")
        }

        func starts(_ prefix: String) -> Bool {
            let pattern = Array(prefix.utf8)
            return index + pattern.count <= bytes.count && bytes[index..<index + pattern.count].elementsEqual(pattern)
        }

        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

        func localName(_ name: String) -> String {
            guard let colon = name.lastIndex(of: ":") else { return name }
            return String(name[name.index(after: colon)...])
        }
    }
}
