import Testing

@testable import PacaCore

@Suite struct JSONTextTests {
    @Test(arguments: [
        (
            #"{"a":[1,-2,3.5,1e3,true,false,null],"b":{"c":"d"}}"#,
            JSONValue.object([
                "a": .array([.int(1), .int(-2), .double(3.5), .double(1000), .bool(true), .bool(false), .null]),
                "b": .object(["c": .string("d")]),
            ])
        ),
        (#" [ ] "#, .array([])),
        (#"{}"#, .object([:])),
        (#""\"\\\/\b\f\n\r\t""#, .string("\"\\/\u{08}\u{0C}\n\r\t")),
        (#""\u00e9\u2603\ud83d\ude00 서울""#, .string("é☃😀 서울")),
        (#"9223372036854775807"#, .int(Int64.max)),
        (#"9223372036854775808"#, .double(9_223_372_036_854_775_808)),
        (#"-0.0"#, .double(-0.0)),
    ])
    func parsesValidJSON(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", ".5", "-", "1e", "+1", "NaN", "tru", "nul", "\"abc",
        "\"a\u{01}b\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\u12\"", "[1 2]", "{\"a\" 1}", "1 2", "1e999",
    ])
    func refusesInvalidJSON(text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: (any Error).self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: (any Error).self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func refusesNestingDeeperThanTheLimitWithoutCrashing() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(throws: (any Error).self) { try JSONValue.parse(deep) }
        let allowed = Array(repeating: UInt8(ascii: "["), count: 256) + Array(repeating: UInt8(ascii: "]"), count: 256)
        #expect((try? JSONValue.parse(allowed)) != nil)
    }

    @Test func serializesWithSortedKeysAndEscapes() {
        let value = JSONValue.object([
            "b": .string("line\nquote\" slash/ back\\ bell\u{07} 서울"), "a": .double(0.25), "c": .double(2), "d": .double(.nan),
        ])
        #expect(
            String(decoding: value.serialized, as: UTF8.self)
                == #"{"a":0.25,"b":"line\nquote\" slash/ back\\ bell\u0007 서울","c":2,"d":null}"#)
    }

    @Test func roundTripsThroughText() throws {
        let value = JSONValue.object([
            "list": .array([.int(0), .int(-7), .double(1.5e-7), .string(""), .object([:]), .null]), "emoji": .string("😀\u{0}"),
        ])
        #expect(try JSONValue.parse(value.serialized) == value)
    }
}
