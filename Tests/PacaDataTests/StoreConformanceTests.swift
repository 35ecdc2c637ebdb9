import PacaCore
import PacaTestSupport
import Testing

@testable import PacaData

/// The same cases against every store: CRUD, every operator, nesting, sorting and paging,
/// missing and mixed-type fields, version conflicts, and names and values that look like SQL.
@Suite struct StoreConformanceTests {
    static let people: [JSONValue] = [
        .object([
            "name": .string("Kim Minji"), "age": .int(24), "user": .object(["city": .string("서울")]), "status": .string("active"),
            "tier": .string("free"),
        ]),
        .object([
            "name": .string("Lee Jun"), "age": .int(17), "user": .object(["city": .string("부산")]), "status": .string("premium"),
            "tier": .string("paid"),
        ]),
        .object([
            "name": .string("Kim Dohyun"), "age": .double(31.5), "user": .object(["city": .string("서울")]), "status": .string("banned"),
        ]),
        .object(["name": .string("Park"), "age": .string("x"), "status": .string("active")]),
        .object(["name": .string("Choi 100%"), "user": .object(["city": .null]), "status": .null, "tags": .array([.string("a")])]),
        .object([
            "name": .string("O'Brien \"; DROP TABLE records; --"), "age": .int(18), "select": .string("from"), "a.b": .int(1),
            "q\"uote": .bool(true),
        ]),
    ]

    static func filled(_ kind: StoreKind, _ folder: TemporaryFolder, _ clock: ManualClock) async throws -> (any DataStore, [Record]) {
        let store = try await kind.make(in: folder, clock: clock)
        var records: [Record] = []
        for person in people {
            records.append(try await store.put(person, type: nil, id: nil))
            clock.advance(by: .seconds(1))
        }
        return (store, records)
    }

    @Test(arguments: StoreKind.allCases)
    func createReadUpdateDelete(kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        let clock = ManualClock()
        let store = try await kind.make(in: folder, clock: clock)
        let made = try await store.put(.object(["x": .int(1)]), type: nil, id: nil)
        #expect(made.version == 1 && made.type == .json && made.id.count == 24)
        #expect(try await store.get(made.id) == made)
        clock.advance(by: .seconds(10))
        let updated = try await store.update(made.id, data: .object(["x": .int(2)]), type: nil, ifVersion: 1)
        #expect(updated.version == 2 && updated.updatedAt == made.createdAt + 10 && updated.createdAt == made.createdAt)
        #expect(try await store.get(made.id).data == .object(["x": .int(2)]))
        // A stale version is a conflict, not a lost update.
        await #expect(throws: DataError(.conflict, "record \"\(made.id)\" is at version 2, not 1: it changed since it was read")) {
            try await store.update(made.id, data: .object(["x": .int(3)]), type: nil, ifVersion: 1)
        }
        #expect(try await store.get(made.id).data == .object(["x": .int(2)]))
        await #expect(throws: DataError.self) { try await store.delete(made.id, ifVersion: 1) }
        #expect(try await store.delete(made.id, ifVersion: 2) == updated)
        await #expect(throws: DataError(.notFound, "no record with id \"\(made.id)\"")) { try await store.get(made.id) }
        await #expect(throws: DataError.self) { try await store.update(made.id, data: .null, type: nil, ifVersion: nil) }
        #expect(try await store.count() == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func typesAreCheckedAndNothingIsWrittenWhenTheyAreWrong(kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        let store = try await kind.make(in: folder, clock: ManualClock())
        #expect(try await store.put(.int(3), type: nil, id: nil).type == .integer)
        #expect(try await store.put(.string("2026-11-28T00:00:00Z"), type: .datetime, id: nil).type == .datetime)
        #expect(try await store.put(.string("aGVsbG8="), type: .binary, id: nil).type == .binary)
        #expect(try await store.put(.int(2), type: .float, id: nil).type == .float)
        await #expect(throws: DataError(.invalid, "type integer needs a whole number, not string")) {
            try await store.put(.string("3"), type: .integer, id: nil)
        }
        await #expect(throws: DataError.self) { try await store.put(.string("yesterday"), type: .datetime, id: nil) }
        await #expect(throws: DataError.self) { try await store.put(.string("not base64!"), type: .binary, id: nil) }
        #expect(try await store.count() == 4)
        _ = try await store.put(.null, type: nil, id: "fixed")
        await #expect(throws: DataError.self) { try await store.put(.null, type: nil, id: "fixed") }
    }

    @Test(arguments: StoreKind.allCases)
    func everyOperatorNestingAndOddNames(kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        let (store, records) = try await Self.filled(kind, folder, ManualClock())
        let cases: [(String, [Int])] = [
            (#"age >= 18 and user.city = "서울" and status in ("active", "premium")"#, [0]),
            (#"name like "Kim%" or not (tier = "free")"#, [0, 1, 2, 3, 4, 5]),
            (#"name like "Kim%""#, [0, 2]),
            (#"name like "kim%""#, []),
            (#"name like "%100\%""#, [4]),
            (#"name like "Le_ Jun""#, [1]),
            ("age > 18", [0, 2]),
            ("age >= 18", [0, 2, 5]),
            ("age < 18", [1]),
            ("age <= 17", [1]),
            ("age = 31.5", [2]),
            ("age != 24", [1, 2, 3, 4, 5]),
            (#"age > "a""#, [3]),
            ("age = null", [4]),
            ("user.city = null", [3, 4, 5]),
            ("status = null", [4, 5]),
            ("status != null", [0, 1, 2, 3]),
            ("age in (17, 24, \"x\")", [0, 1, 3]),
            ("age not in (17, 24)", [2, 3, 4, 5]),
            ("tags = \"a\"", []),
            ("tags != \"a\"", [0, 1, 2, 3, 4, 5]),
            (#"select = "from""#, [5]),
            ("`a.b` = 1", [5]),
            ("`q\"uote` = true", [5]),
            (#"name = "O'Brien \"; DROP TABLE records; --""#, [5]),
            (#"not (not (age > 20 or (status = "active" and not age = "x")))"#, [0, 2]),
            (#"(age > 20 or status = "premium") and (user.city = "서울" or user.city = "부산")"#, [0, 1, 2]),
            ("version = 1 and type = \"json\"", [0, 1, 2, 3, 4, 5]),
        ]
        for (text, expected) in cases {
            let filter = try QueryText.parse(text)
            let found = try await store.query(Query(filter: filter)).map(\.id)
            #expect(found == expected.map { records[$0].id }, "\(kind): \(text)")
            #expect(found == Query(filter: filter).answer(from: records).map(\.id), "\(kind) differs from the rule: \(text)")
        }
        #expect(try await store.count() == 6, "the odd names and values wrote nothing")
    }

    @Test(arguments: StoreKind.allCases)
    func sortingAndPaging(kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        let (store, records) = try await Self.filled(kind, folder, ManualClock())
        let ids = { (indexes: [Int]) in indexes.map { records[$0].id } }
        #expect(try await store.query(Query(sortBy: FieldPath(["age"]))).map(\.id) == ids([4, 1, 5, 0, 2, 3]))
        #expect(try await store.query(Query(sortBy: FieldPath(["age"]), order: .desc)).map(\.id) == ids([3, 2, 0, 5, 1, 4]))
        #expect(try await store.query(Query(sortBy: FieldPath(["name"]), limit: 2, offset: 1)).map(\.id) == ids([2, 0]))
        #expect(try await store.query(Query(sortBy: FieldPath(["created_at"]), order: .desc, limit: 2)).map(\.id) == ids([5, 4]))
        #expect(try await store.query(Query(limit: 2, offset: 5)).map(\.id) == ids([5]))
        #expect(try await store.query(Query(offset: 9)).isEmpty)
        await #expect(throws: DataError.self) { try await store.query(Query(limit: 0)) }
    }
}

/// Random records and random filters: every store must give the reference answer.
@Suite struct StorePropertyTests {
    static let fields = ["a", "b", "c.d", "name"]

    static func randomValue(_ random: inout SeededRandom) -> JSONValue {
        switch random.next() % 9 {
        case 0: .null
        case 1: .bool(random.next() % 2 == 0)
        case 2, 3: .int(Int64(random.next() % 7) - 3)
        case 4: .double(Double(Int64(random.next() % 13) - 6) / 2)
        case 5, 6: .string(["", "a", "b", "ab", "B", "서울", "a%", "_"][Int(random.next() % 8)])
        case 7: .array([.int(1)])
        default: .object(["x": .int(1)])
        }
    }

    static func randomRecord(_ random: inout SeededRandom) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for field in ["a", "b", "name"] where random.next() % 4 != 0 { members[field] = randomValue(&random) }
        if random.next() % 3 != 0 { members["c"] = .object(["d": randomValue(&random)]) }
        return .object(members)
    }

    static func randomFilter(_ random: inout SeededRandom, depth: Int = 0) -> Filter {
        let choice = depth > 2 ? 0 : random.next() % 6
        switch choice {
        case 3: return .and((0..<(1 + Int(random.next() % 3))).map { _ in randomFilter(&random, depth: depth + 1) })
        case 4: return .or((0..<(1 + Int(random.next() % 3))).map { _ in randomFilter(&random, depth: depth + 1) })
        case 5: return .not(randomFilter(&random, depth: depth + 1))
        default:
            let path = FieldPath(dotted: fields[Int(random.next() % UInt64(fields.count))])
            let op = FilterOperator.allCases[Int(random.next() % UInt64(FilterOperator.allCases.count))]
            var value = randomValue(&random)
            switch op {
            case .in, .notIn:
                value = .array((0..<Int(random.next() % 3)).map { _ in randomValue(&random) }.filter { Filter.problem(.eq, $0) == nil })
            case .like: value = .string(["a%", "%b", "_", "%", "서%", "a\\%", "%_%"][Int(random.next() % 7)])
            case .gt, .gte, .lt, .lte: if Filter.problem(op, value) != nil { value = .int(Int64(random.next() % 5) - 2) }
            case .eq, .ne: if Filter.problem(op, value) != nil { value = .null }
            }
            return .compare(path, op, value)
        }
    }

    /// Sorted, limited range queries on an indexed field: the memory store walks its index and
    /// SQLite reads its (value, id) index in order; both must still give the reference answer,
    /// ties and offsets included.
    @Test(arguments: StoreKind.allCases)
    func indexWalksGiveTheReferenceAnswer(kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        let store = try await kind.make(in: folder, clock: ManualClock(), indexed: [FieldPath(["a"]), FieldPath(["name"])])
        var random = SeededRandom(seed: 7)
        var records: [Record] = []
        for _ in 0..<400 { records.append(try await store.put(Self.randomRecord(&random), type: nil, id: nil)) }
        for round in 0..<300 {
            let field = random.next() % 2 == 0 ? "a" : "name"
            var terms: [Filter] = []
            for _ in 0..<(1 + Int(random.next() % 2)) {
                let op = [FilterOperator.gt, .gte, .lt, .lte, .eq][Int(random.next() % 5)]
                let value: JSONValue =
                    field == "a" ? .int(Int64(random.next() % 7) - 3) : .string(["", "a", "ab", "b", "B", "서"][Int(random.next() % 6)])
                terms.append(.compare(FieldPath([field]), op, value))
            }
            if random.next() % 3 == 0 { terms.append(Self.randomFilter(&random, depth: 2)) }
            let query = Query(
                filter: terms.count == 1 ? terms[0] : .and(terms), sortBy: FieldPath([field]), order: random.next() % 2 == 0 ? .asc : .desc,
                limit: Int(1 + random.next() % 15), offset: Int(random.next() % 5))
            let expected = query.answer(from: records).map(\.id)
            let found = try await store.query(query).map(\.id)
            #expect(found == expected, "round \(round): \(query.filter!.json) \(query.order)")
            if found != expected { break }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func everyStoreAgreesWithTheReference(kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        let clock = ManualClock()
        let store = try await kind.make(in: folder, clock: clock, indexed: [FieldPath(["a"]), FieldPath(["c", "d"])])
        var random = SeededRandom(seed: 20_261_128)
        var records: [Record] = []
        for _ in 0..<300 {
            records.append(try await store.put(Self.randomRecord(&random), type: nil, id: nil))
            if random.next() % 5 == 0 { clock.advance(by: .seconds(1)) }
        }
        for round in 0..<400 {
            let filter = Self.randomFilter(&random)
            let sortBy = random.next() % 2 == 0 ? FieldPath(dotted: Self.fields[Int(random.next() % 4)]) : nil
            let query = Query(
                filter: filter, sortBy: sortBy, order: random.next() % 2 == 0 ? .asc : .desc,
                limit: random.next() % 3 == 0 ? Int(1 + random.next() % 20) : nil, offset: Int(random.next() % 4))
            let expected = query.answer(from: records).map(\.id)
            let found = try await store.query(query).map(\.id)
            #expect(found == expected, "round \(round): \(filter.json) sort \(sortBy?.description ?? "-")")
            if found != expected { break }
        }
    }
}
