import PacaProtocol
import Testing

@Suite struct FrameTests {
    @Test func encodesALengthPrefixBigEndian() {
        #expect(Frame.encode(Array("{}".utf8)) == [0, 0, 0, 2, 0x7B, 0x7D])
        #expect(Frame.encode([UInt8](repeating: 1, count: 0x0102_03)).prefix(4) == [0, 1, 2, 3])
    }

    @Test func decodesFramesArrivingOneByteAtATime() throws {
        let stream = Frame.encode(Array("first".utf8)) + Frame.encode([]) + Frame.encode(Array("third".utf8))
        var decoder = FrameDecoder()
        var frames: [[UInt8]] = []
        for byte in stream {
            decoder.append([byte])
            while let frame = try decoder.next() { frames.append(frame) }
        }
        #expect(frames == [Array("first".utf8), [], Array("third".utf8)])
        #expect(decoder.pendingByteCount == 0)
    }

    @Test func decodesManyFramesFromOneRead() throws {
        var decoder = FrameDecoder()
        decoder.append((0..<100).flatMap { Frame.encode(Array("message \($0)".utf8)) })
        var count = 0
        while let frame = try decoder.next() {
            #expect(frame == Array("message \(count)".utf8))
            count += 1
        }
        #expect(count == 100)
    }

    @Test func refusesAnOversizedLengthBeforeBufferingIt() throws {
        var decoder = FrameDecoder(maximumSize: 1024)
        decoder.append([0, 0, 4, 1])
        #expect(throws: FrameError.tooLarge(length: 1025, limit: 1024)) { try decoder.next() }
        var exact = FrameDecoder(maximumSize: 4)
        exact.append(Frame.encode([1, 2, 3, 4]))
        #expect(try exact.next() == [1, 2, 3, 4])
    }

    @Test func aHalfFrameWaitsForTheRest() throws {
        var decoder = FrameDecoder()
        decoder.append(Frame.encode(Array("hello".utf8)).prefix(6))
        #expect(try decoder.next() == nil)
        #expect(decoder.pendingByteCount == 6)
    }
}
