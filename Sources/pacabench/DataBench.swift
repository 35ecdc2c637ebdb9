import Foundation
import PacaCore
import PacaData

/// The record store rows: 100,000 records of a realistic shape (a training run each), inserted by
/// 64 concurrent writers, then an indexed equality, a range with sort and limit, and an unindexed
/// `like`, each timed over many runs. Each store runs in a child process of its own
/// (`pacabench data-store KIND DIR COUNT`), so its peak RSS is its own.
enum DataBench {
    struct Result: Codable {
        var kind: String
        var records: Int
        var insertSeconds: Double
        var equality: [Double]
        var range: [Double]
        var like: [Double]
        var rangeMatches: Int
        var likeMatches: Int
        var peakRSS: Double = 0
    }

    static let indexed = [FieldPath(["run"]), FieldPath(["age"]), FieldPath(["user", "city"])]
    static let surnames = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"]
    static let given = [
        "Minji", "Minjun", "Minseo", "Seoyeon", "Jiho", "Jiwoo", "Hayoon", "Doyun", "Eunwoo", "Siwoo", "Jimin", "Yuna", "Harin", "Joon",
        "Sua", "Yejun", "Daeun", "Hyunwoo", "Chaewon", "Taeyang", "Soyeon", "Woojin", "Nayeon", "Sungmin", "Yerin", "Dohyun", "Ara",
        "Jaehyun", "Hana", "Sejin",
    ]
    static let cities = [
        "서울", "부산", "인천", "대구", "대전", "광주", "울산", "수원", "Berlin", "Paris", "London", "Tokyo", "Osaka", "Boston", "Austin",
        "Toronto", "Sydney", "Zurich", "Lyon", "Madrid",
    ]
    static let statuses = ["active", "premium", "free", "banned", "paused"]
    static let topics = ["vision", "nlp", "rl", "speech", "tabular", "diffusion"]

    /// Record `index` of the deterministic set.
    static func record(_ index: Int) -> JSONValue {
        var state = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ 12345
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let surname = surnames[Int(next() % 10)], first = given[Int(next() % 30)]
        let name = surname + " " + first
        let tags = (0..<(2 + Int(next() % 2))).map { _ in JSONValue.string(topics[Int(next() % 6)]) }
        let loss = Double(next() % 100_000) / 100_000
        return .object([
            "run": .string(runName(index)),
            "user": .object([
                "name": .string(name), "city": .string(cities[Int(next() % 20)]),
                "email": .string(first + "." + surname + "@lab.example"),
            ]),
            "age": .int(Int64(18 + next() % 53)),
            "status": .string(statuses[Int(next() % 5)]),
            "tags": .array(tags),
            "metrics": .object(["loss": .double(loss), "accuracy": .double(1 - loss / 2), "epochs": .int(Int64(1 + next() % 100))]),
            "notes": .string("checkpoint every \(1 + next() % 10) epochs; lr warmup \(next() % 1000) steps; seed \(next() % 100_000)"),
        ])
    }

    /// `run-0000042`: zero-padded without Foundation, so generating records costs little next to storing them.
    static func runName(_ index: Int) -> String {
        let digits = String(index)
        return "run-" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// The child: one store, every measurement, the result as JSON at `directory/result.json`.
    static func child(kind: String, directory: String, count: Int) async {
        let clock: DataClock = { Date().timeIntervalSince1970 }
        let store: any DataStore
        do {
            switch kind {
            case "memory": store = MemoryStore(indexed: indexed, clock: clock)
            case "file": store = try await FileStore(path: directory + "/records.log", indexed: indexed, clock: clock)
            case "sqlite": store = try await SQLiteStore(path: directory + "/records.sqlite", indexed: indexed, clock: clock)
            default: fatalError("unknown store kind \(kind)")
            }
        } catch {
            fatalError("cannot open the \(kind) store: \(error)")
        }
        let writers = 64
        let started = Runner.now()
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var index = writer
                    while index < count {
                        _ = try? await store.put(record(index), type: .json, id: nil)
                        index += writers
                    }
                }
            }
        }
        let insertSeconds = Runner.now() - started
        func time(_ runs: Int, _ query: (Int) throws -> Query) async -> ([Double], Int) {
            var samples: [Double] = []
            var matches = 0
            for run in 0..<runs {
                let q = try! query(run)
                let start = Runner.now()
                matches = (try? await store.query(q).count) ?? -1
                samples.append((Runner.now() - start) * 1000)
            }
            return (samples, matches)
        }
        let (equality, _) = await time(200) { run in
            Query(filter: .compare(FieldPath(["run"]), .eq, .string(runName((run * 7919) % count))))
        }
        let (range, rangeMatches) = await time(50) { run in
            let low = 20 + run % 40
            return Query(
                filter: try QueryText.parse("age >= \(low) and age < \(low + 5)"), sortBy: FieldPath(["age"]), order: .desc, limit: 20)
        }
        let (like, likeMatches) = await time(21) { _ in Query(filter: try QueryText.parse(#"user.name like "Kim Min%""#)) }
        let result = Result(
            kind: kind, records: (try? await store.count()) ?? -1, insertSeconds: insertSeconds, equality: equality, range: range,
            like: like, rangeMatches: rangeMatches, likeMatches: likeMatches)
        let encoded = try! JSONEncoder().encode(result)
        try! encoded.write(to: URL(fileURLWithPath: directory + "/result.json"))
    }

    /// The parent: each store in a child process, results with the child's peak RSS.
    static func run(executable: String, work: String, count: Int) -> [Result] {
        var results: [Result] = []
        for kind in ["memory", "file", "sqlite"] {
            let directory = work + "/data-\(kind)"
            try? FileManager.default.removeItem(atPath: directory)
            try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let measured = Runner.measure("'\(executable)' data-store \(kind) '\(directory)' \(count)", in: directory)
            guard measured.status == 0, let data = FileManager.default.contents(atPath: directory + "/result.json"),
                var result = try? JSONDecoder().decode(Result.self, from: data)
            else {
                log("the \(kind) store's run failed (status \(measured.status))")
                continue
            }
            result.peakRSS = measured.peakRSS
            results.append(result)
            try? FileManager.default.removeItem(atPath: directory)
        }
        return results
    }

    static func printTable(_ results: [Result]) {
        print(
            "\n| record store (100,000 records, 64 writers) | inserts/s | peak RSS MiB | indexed equality ms (median, p90) | range + sort + limit 20 ms | unindexed like ms | targets met |"
        )
        print("|---|---|---|---|---|---|---|")
        for r in results {
            let eq = r.equality.median, range = r.range.median, like = r.like.median
            let met = r.kind == "file" ? "(no target)" : eq < 1 && range < 1 && like < 50 ? "yes" : "NO"
            print(
                "| \(r.kind) | \(Int(Double(r.records) / r.insertSeconds)) | \(String(format: "%.0f", r.peakRSS)) | \(String(format: "%.3f, %.3f", eq, r.equality.percentile(0.9))) | \(String(format: "%.3f", range)) (\(r.rangeMatches) rows) | \(String(format: "%.1f", like)) (\(r.likeMatches) rows) | \(met) |"
            )
        }
        print("Targets (memory and SQLite): indexed queries under 1 ms and every listed query under 50 ms at the median.")
    }
}
