import PacaCore
import Testing

@Suite struct QueryTextTests {
    static func f(_ field: String, _ op: FilterOperator, _ value: JSONValue) -> Filter { .compare(FieldPath(dotted: field), op, value) }

    @Test(arguments: [
        (
            #"age >= 18 and city = "서울" and status in ("active", "premium")"#,
            Filter.and([
                f("age", .gte, .int(18)), f("city", .eq, .string("서울")), f("status", .in, .array([.string("active"), .string("premium")])),
            ])
        ),
        (#"name like "Kim%" or not (tier = "free")"#, .or([f("name", .like, .string("Kim%")), .not(f("tier", .eq, .string("free")))])),
        (#"a = 1 or b = 2 and c = 3"#, .or([f("a", .eq, .int(1)), .and([f("b", .eq, .int(2)), f("c", .eq, .int(3))])])),
        (#"(a = 1 or b = 2) and c = 3"#, .and([.or([f("a", .eq, .int(1)), f("b", .eq, .int(2))]), f("c", .eq, .int(3))])),
        (
            #"NOT x != -2.5 AND y NOT IN (1, "two", null, true)"#,
            .and([.not(f("x", .ne, .double(-2.5))), f("y", .notIn, .array([.int(1), .string("two"), .null, .bool(true)]))])
        ),
        (#"preferences.language = "ko""#, f("preferences.language", .eq, .string("ko"))),
        (#"`file.name`.`a``b` = "x""#, .compare(FieldPath(["file.name", "a`b"]), .eq, .string("x"))),
        (
            #"bytes_in > 1GB and size <= 2KiB and t < 1h30m"#,
            .and([f("bytes_in", .gt, .int(1_000_000_000)), f("size", .lte, .int(2048)), f("t", .lt, .int(5400))])
        ),
        (
            #"finished_at >= 2026-11-01 and started_at < 2026-11-27T02:00:00Z"#,
            .and([f("finished_at", .gte, .string("2026-11-01")), f("started_at", .lt, .string("2026-11-27T02:00:00Z"))])
        ),
        (#"s = "quote \" back \\ tab\t \u00e9""#, f("s", .eq, .string("quote \" back \\ tab\t é"))),
        (#"a == 1 and b <> 2"#, .and([f("a", .eq, .int(1)), f("b", .ne, .int(2))])),
        (#"n = 1e3"#, f("n", .eq, .double(1000))),
        (#"select = "drop table""#, f("select", .eq, .string("drop table"))),
    ])
    func parses(text: String, expected: Filter) throws {
        #expect(try QueryText.parse(text) == expected)
    }

    @Test(arguments: [
        (#"age >= "#, "column 8: expected a value"),
        (#"age 18"#, "column 5: expected an operator (= != > >= < <= in, not in, like), found value 18"),
        (#"(a = 1 or b = 2"#, "column 16: expected \")\" to close the \"(\" at column 1"),
        (#"a = "open"#, "column 5: a string is not closed with \""),
        (#"a = 1 b = 2"#, "column 7: unexpected field b after a complete condition"),
        (#"a in 1"#, "column 6: in needs a list in parentheses: (\"a\", \"b\")"),
        (#"a > true"#, "column 5: > compares with a number or a string, not boolean"),
        (#"a like 3"#, "column 8: like needs a string pattern, not number"),
        (#"a = 5 parsecs"#, "column 7: unexpected field parsecs after a complete condition"),
        (
            #"a = 5parsecs"#,
            "column 6: \"5parsecs\" has an unknown unit \"parsecs\"; sizes are B, KB, MB, GB, TB (or KiB, MiB, GiB, TiB), durations s, m, h, d, w"
        ),
        (#"a = active"#, "column 5: expected a value, found active; put text in double quotes"),
        (#"a = 2026-13-01"#, "column 5: \"2026-13-01\" is not a date (2026-11-01) or a time (2026-11-01T02:00:00Z)"),
        (#"= 3"#, "column 1: expected a field name, found \"=\""),
        (#"a ! 3"#, "column 3: \"!\" on its own is not an operator; use != or not"),
        (#"a = 1 and"#, "column 10: expected a condition like name = \"x\""),
    ])
    func errorsPointAtTheColumn(text: String, expected: String) {
        #expect(throws: QueryError.self) { try QueryText.parse(text) }
        do {
            _ = try QueryText.parse(text)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let text = String(repeating: "(", count: 10_000) + "a = 1" + String(repeating: ")", count: 10_000)
        #expect(throws: QueryError.self) { try QueryText.parse(text) }
        #expect(throws: QueryError.self) { try QueryText.parse(String(repeating: "not ", count: 10_000) + "a = 1") }
    }

    @Test func theStructuredFormRoundTripsAndNamesItsMistakes() throws {
        let filter = try QueryText.parse(#"age >= 18 and (`a.b`.c = "x" or not tags in ("p", 1))"#)
        #expect(try Filter(json: filter.json) == filter)
        let bad: [(JSONValue, String)] = [
            (
                .object(["field": .string("a"), "op": .string("between"), "value": .int(1)]),
                "filter.op: unknown operator \"between\"; expected one of eq, ne, gt, gte, lt, lte, in, not_in, like"
            ),
            (
                .object(["field": .string("a"), "op": .string("in"), "value": .int(1)]),
                "filter.value: in needs a list of values, not number"
            ),
            (.object(["and": .array([])]), "filter.and: \"and\" needs a non-empty list of filters"),
            (.object(["or": .array([.object(["field": .string("a"), "op": .string("eq")])])]), "filter.or[0]: missing \"value\""),
            (
                .object(["field": .int(3), "op": .string("eq"), "value": .int(1)]),
                "filter.field: \"field\" is a dotted name (\"user.city\") or a list of names"
            ),
            (.string("age > 3"), "filter: expected an object (a comparison, or and/or/not), not string"),
        ]
        for (json, message) in bad {
            do {
                _ = try Filter(json: json)
                Issue.record("accepted \(json)")
            } catch {
                #expect(error.description == message)
            }
        }
    }
}

@Suite struct FilterRuleTests {
    static func record(_ data: JSONValue, id: String = "r1") -> Record {
        Record(id: id, data: data, type: .json, createdAt: 1_764_288_000, updatedAt: 1_764_288_060, version: 3)
    }

    static func matches(_ text: String, _ data: JSONValue) throws -> Bool { try QueryText.parse(text).matches(record(data)) }

    @Test func missingFieldsAndMixedTypesFollowTheDocumentedRule() throws {
        let none = JSONValue.object([:])
        let text = JSONValue.object(["age": .string("x")])
        let number = JSONValue.object(["age": .int(20)])
        let null = JSONValue.object(["age": .null])
        #expect(try !Self.matches("age > 18", none))
        #expect(try !Self.matches("age > 18", text))
        #expect(try Self.matches("age > 18", number))
        #expect(try !Self.matches("age > 18", null))
        #expect(try Self.matches("age != 18", none))
        #expect(try Self.matches("age = null", none) && Self.matches("age = null", null))
        #expect(try !Self.matches(#"age = "20""#, number))
        #expect(try Self.matches("age = 20.0", number))
        #expect(try Self.matches("age not in (1, 2)", none))
        #expect(try !Self.matches("age in (1, 2)", none))
        #expect(try Self.matches(#"age > "w""#, text))  // strings order with strings
        #expect(try !Self.matches("age < 100", text))
        let nested = JSONValue.object(["tags": .array([.string("a")]), "user": .object(["city": .string("서울")])])
        #expect(try !Self.matches(#"tags = "a""#, nested))
        #expect(try Self.matches(#"user.city = "서울""#, nested))
        #expect(try !Self.matches(#"user.city.name = "서울""#, nested))
    }

    @Test func likeIsSQLLikeAndCaseSensitive() throws {
        let data = JSONValue.object(["name": .string("Kim_Minji 100%")])
        #expect(try Self.matches(#"name like "Kim%""#, data))
        #expect(try !Self.matches(#"name like "kim%""#, data))
        #expect(try Self.matches(#"name like "Kim\_M%""#, data))
        #expect(try !Self.matches(#"name like "KimX%""#, data))
        #expect(try Self.matches(#"name like "%100\%""#, data))
        #expect(try Self.matches(#"name like "K_m%j_ 1%""#, data))
        #expect(try !Self.matches(#"name like "K_m""#, data))
        #expect(try Self.matches(#"name like "%""#, data))
        #expect(try Self.matches(#"x like "서_""#, .object(["x": .string("서울")])))
    }

    @Test func metadataFieldsAreAddressedByTheirNames() throws {
        let record = Self.record(.object(["a": .int(1)]))
        #expect(try QueryText.parse("version = 3 and id = \"r1\" and type = \"json\"").matches(record))
        #expect(try QueryText.parse("created_at = 2025-11-28T00:00:00Z and updated_at > 2025-11-28").matches(record))
    }

    @Test func sortingRanksKindsAndBreaksTiesById() {
        let records = [
            Self.record(.object(["v": .string("b")]), id: "1"), Self.record(.object(["v": .int(10)]), id: "2"),
            Self.record(.object([:]), id: "3"), Self.record(.object(["v": .double(2.5)]), id: "4"),
            Self.record(.object(["v": .bool(true)]), id: "5"), Self.record(.object(["v": .string("B")]), id: "6"),
            Self.record(.object(["v": .int(10)]), id: "0"), Self.record(.object(["v": .array([])]), id: "7"),
        ]
        let ascending = Query(sortBy: FieldPath(["v"])).answer(from: records).map(\.id)
        #expect(ascending == ["3", "5", "4", "0", "2", "6", "1", "7"])
        let descending = Query(sortBy: FieldPath(["v"]), order: .desc, limit: 3, offset: 1).answer(from: records).map(\.id)
        #expect(descending == ["1", "6", "2"])  // ties (the two 10s) by id, descending too
    }
}

@Suite struct CompiledFilterTests {
    /// The byte matcher for plain patterns agrees with the scalar matcher on random text.
    @Test func likeOnBytesAgreesWithLikeOnScalars() {
        let alphabet: [Character] = ["a", "b", "서", "울", "%", "é", " "]
        var state: UInt64 = 99
        func pick() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return Int(state >> 33)
        }
        for _ in 0..<20_000 {
            let text = String((0..<(pick() % 7)).map { _ in alphabet[pick() % alphabet.count] })
            let pattern = String((0..<(pick() % 5)).map { _ in alphabet[pick() % alphabet.count] })
            let filter = Filter.compare(FieldPath(["s"]), .like, .string(pattern))
            let record = Record(id: "r", data: .object(["s": .string(text)]), type: .json, createdAt: 0, updatedAt: 0)
            #expect(CompiledFilter(filter).matches(record) == filter.matches(record), "\(text) like \(pattern)")
        }
    }
}

@Suite struct Base64Tests {
    @Test func roundTripsEveryLengthAndMatchesTheRFCVectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    @Test func refusesWhatIsNotBase64() {
        for bad in ["Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "Zm=v", "====", "Zm9"] { #expect(Base64.decode(bad) == nil, "\(bad)") }
    }
}
