import ArgumentParser
import PacaConfig
import PacaCore
import PacaSystem

struct CronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Work with cron expressions, without a daemon.",
        subcommands: [CronNextCommand.self]
    )
}

/// `pacactl cron next EXPR`: the next fire times, like `systemd-analyze calendar`.
struct CronNextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next times a cron expression fires, strictly after --from.",
        discussion: """
            Times are printed in RFC 3339 with the zone's offset. The zone is --tz, else the expression's CRON_TZ= prefix, \
            else this machine's zone. A local time skipped by a daylight-saving change fires once when the gap ends; one \
            repeated by it fires once, the first time. Exits 1 when the expression can never fire.
            """
    )

    @Argument(help: "The expression, e.g. \"0 2 * * *\", \"*/15 9-17 * * mon-fri\", \"@daily\", \"CRON_TZ=Asia/Seoul 0 9 * * *\".")
    var expression: String

    @Option(help: "How many times to print (1-1000).")
    var count: Int = 5

    @Option(help: ArgumentHelp("Start after this time, RFC 3339 (default: now).", valueName: "iso8601"))
    var from: String?

    @Option(help: ArgumentHelp("The time zone, e.g. Europe/Berlin or UTC.", valueName: "zone"))
    var tz: String?

    @Flag(help: "Print {\"expression\": ..., \"next\": [...]} on standard output.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(count) else { throw ValidationError("--count must be 1-1000, not \(count)") }
        if let from, RFC3339.parse(from) == nil {
            throw ValidationError("--from \"\(from)\" is not an RFC 3339 time like 2026-01-01T02:00:00Z or 2026-01-01T02:00:00+09:00")
        }
    }

    func run() throws {
        let cron: CronExpression
        do { cron = try CronExpression(expression) } catch { throw fail(error.description, .usage) }
        let zone: ZoneRules
        do {
            if let name = tz ?? cron.timeZone { zone = try ZoneDatabase.zone(named: name) } else { zone = ZoneDatabase.local() }
        } catch {
            throw fail(error.description, .usage)
        }
        let start = from.flatMap(RFC3339.parse) ?? Int64(SystemTime.realtime())
        let fires = cron.nextFires(after: start, count: count, in: zone)
        let formatted = fires.map { RFC3339.format($0, offset: zone.offset(at: $0)) }
        if json {
            var result: [String: JSONValue] = ["expression": .string(expression), "next": .array(formatted.map(JSONValue.string))]
            if let reason = cron.neverReason { result["never"] = .string(reason) }
            print(String(decoding: JSONValue.object(result).serialized, as: UTF8.self))
        } else {
            for line in formatted { print(line) }
        }
        if let reason = cron.neverReason { throw fail("\"\(expression)\" never fires: \(reason)", .failed) }
    }
}

/// RFC 3339 with any offset, in and out.
enum RFC3339 {
    /// Unix seconds of `2026-01-01T02:00:00Z`, `2026-01-01T02:00:00+09:00` or with fractional seconds.
    static func parse(_ text: String) -> Int64? {
        guard text.count >= 20 else { return nil }
        let head = String(text.prefix(19))
        guard let civil = CivilTime(rfc3339: head + "Z") else { return nil }
        var rest = text.dropFirst(19)
        if rest.first == "." {
            rest = rest.dropFirst().drop { $0.isASCII && $0.isNumber }
        }
        if rest == "Z" || rest == "z" { return civil.unixSeconds }
        guard rest.count == 6, let sign = rest.first, sign == "+" || sign == "-", rest.dropFirst(3).first == ":",
            let hours = Int(rest.dropFirst().prefix(2)), let minutes = Int(rest.dropFirst(4)), hours < 24, minutes < 60
        else { return nil }
        let offset = Int64(hours * 3600 + minutes * 60) * (sign == "+" ? 1 : -1)
        return civil.unixSeconds - offset
    }

    /// `2026-03-29T03:00:00+02:00`, or `…Z` for a zero offset.
    static func format(_ seconds: Int64, offset: Int32) -> String {
        let local = CivilTime(unixSeconds: seconds + Int64(offset)).rfc3339.dropLast()
        guard offset != 0 else { return local + "Z" }
        let magnitude = abs(Int(offset))
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return local + (offset > 0 ? "+" : "-") + pad(magnitude / 3600) + ":" + pad(magnitude / 60 % 60)
    }
}
