import CZlib
import Crypto
import Foundation
import Testing

@testable import PacaAge

/// The C2SP age testkit (testkit/README.md): every vector decrypts, or fails the way it should.
@Suite struct AgeTestkitTests {
    struct Vector {
        var expect = ""
        var payloadSHA256 = ""
        var fileKey: [UInt8] = []
        var identities: [AgeIdentity] = []
        var file: [UInt8] = []
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("testkit").path
    static let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0 != "README.md" }.sorted()

    static func load(_ name: String) throws -> Vector {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
        var vector = Vector()
        var position = 0
        var compressed = false
        while let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: bytes[position..<end], as: UTF8.self)
            position = end + 1
            if line.isEmpty { break }
            let parts = line.split(separator: ": ", maxSplits: 1).map(String.init)
            switch parts[0] {
            case "expect": vector.expect = parts[1]
            case "payload": vector.payloadSHA256 = parts[1]
            case "file key": vector.fileKey = hex(parts[1])
            case "identity": vector.identities += try AgeIdentity.parseFile(parts[1], name: name)
            case "passphrase": vector.identities.append(.passphrase(parts[1]))
            case "compressed": compressed = parts[1] == "zlib"
            default: break
            }
        }
        vector.file = Array(bytes[position...])
        if compressed { vector.file = try inflate(vector.file) }
        return vector
    }

    static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            out.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func inflate(_ input: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 64 << 20)
        var length = uLongf(output.count)
        let status = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { uncompress(out.baseAddress, &length, $0.baseAddress, uLong(input.count)) }
        }
        try #require(status == Z_OK, "zlib could not inflate the vector (\(status))")
        return Array(output[..<Int(length)])
    }

    /// Decrypts chunk by chunk, as a reader of the whole file would; returns the plaintext
    /// released before any error, and the error.
    static func decrypt(_ vector: Vector) -> (plain: [UInt8], error: AgeError?) {
        var plain: [UInt8] = []
        do {
            let file = vector.file
            guard
                let payload = try AgePayload.open(prefix: file, isWhole: true, fileSize: UInt64(file.count), identities: vector.identities)
            else { return (plain, AgeError(.header, "incomplete")) }
            for index in 0..<payload.chunkCount {
                let range = payload.sealedRange(ofChunk: index)
                plain += try payload.open(chunk: index, Array(file[Int(range.lowerBound)..<Int(range.upperBound)]))
            }
            return (plain, nil)
        } catch {
            return (plain, error)
        }
    }

    @Test func everyVectorIsHere() {
        #expect(Self.names.count == 92)
    }

    @Test(arguments: names) func vector(_ name: String) throws {
        let vector = try Self.load(name)
        let (plain, error) = Self.decrypt(vector)
        switch vector.expect {
        case "success":
            #expect(error == nil, "\(name): \(error?.message ?? "")")
            #expect(SHA256.hash(data: plain).map { String(format: "%02x", $0) }.joined() == vector.payloadSHA256, "\(name)")
        case "no match": #expect(error?.kind == .noMatch, "\(name): \(String(describing: error))")
        case "HMAC failure": #expect(error?.kind == .headerMAC, "\(name): \(String(describing: error))")
        case "header failure": #expect(error?.kind == .header, "\(name): \(String(describing: error))")
        case "payload failure":
            // The payload hash of these vectors is what a front-to-back reader releases before
            // the error; pacad's reader opens chunks by position and releases a chunk only once it
            // knows whether it is the last, so it may release less. Never a wrong chunk: each opened.
            #expect(error?.kind == .payload, "\(name): \(String(describing: error))")
        default: Issue.record("\(name): unknown expectation \(vector.expect)")
        }
    }

    /// Headers that parse encode back to the same bytes, and the payloads of the good vectors
    /// seal back to the same bytes from their file key and nonce: the writing side matches too.
    @Test(arguments: names) func encodingRoundTrips(_ name: String) throws {
        let vector = try Self.load(name)
        guard let header = try? AgeHeader.parse(vector.file, isWhole: true) else { return }
        #expect(AgeHeader.text(of: header.stanzas) == header.authenticated, "\(name)")
        guard vector.expect == "success", let fileKey = FileKey(vector.fileKey) else { return }
        let nonce = Array(vector.file[header.length..<header.length + 16])
        let key = fileKey.payloadKey(nonce: nonce)
        #expect(fileKey.isValidMAC(header.mac, of: header.authenticated))
        let (plain, _) = Self.decrypt(vector)
        var sealed: [UInt8] = []
        var start = 0
        var counter: UInt64 = 0
        repeat {
            let end = min(start + AgePayload.chunkSize, plain.count)
            let isFinal = end == plain.count
            sealed += AgePayload.seal(Array(plain[start..<end]), key: key, counter: counter, isFinal: isFinal)
            counter += 1
            start = end
            if isFinal { break }
        } while true
        #expect(sealed == Array(vector.file[(header.length + 16)...]), "\(name)")
    }
}
