import Foundation
import Testing

@testable import PacaCore

private func instant(_ text: String) -> Int64 { CivilTime(rfc3339: text)!.unixSeconds }
private func text(_ seconds: Int64) -> String { CivilTime(unixSeconds: seconds).rfc3339 }

/// Time zones from POSIX rules (pure) and from the system's TZif files (Debian's tzdata).
@Suite struct ZoneRulesTests {
    static let berlinRule = "CET-1CEST,M3.5.0,M10.5.0/3"

    static func zone(_ name: String) throws -> ZoneRules {
        let data = try #require(
            FileManager.default.contents(atPath: "/usr/share/zoneinfo/" + name), "tzdata is needed (make test-deps installs it)")
        return try ZoneRules(tzif: Array(data), name: name)
    }

    @Test(arguments: [
        ("2026-03-29T00:59:00Z", 3600), ("2026-03-29T01:00:00Z", 7200), ("2026-10-25T00:59:00Z", 7200), ("2026-10-25T01:00:00Z", 3600),
        ("2026-07-01T00:00:00Z", 7200), ("2026-01-01T00:00:00Z", 3600), ("2099-07-01T00:00:00Z", 7200),
    ])
    func posixRuleAndTZifAgreeOnBerlinsOffsets(at: String, offset: Int32) throws {
        #expect(try ZoneRules(posix: Self.berlinRule).offset(at: instant(at)) == offset)
        #expect(try Self.zone("Europe/Berlin").offset(at: instant(at)) == offset)
    }

    @Test(arguments: [
        ("America/New_York", "2026-03-08T06:59:00Z", Int32(-18000)), ("America/New_York", "2026-03-08T07:00:00Z", -14400),
        ("America/New_York", "2026-11-01T05:59:00Z", -14400), ("America/New_York", "2026-11-01T06:00:00Z", -18000),
        ("Australia/Sydney", "2026-04-04T15:59:00Z", 39600), ("Australia/Sydney", "2026-04-04T16:00:00Z", 36000),
        ("Australia/Sydney", "2026-10-03T15:59:00Z", 36000), ("Australia/Sydney", "2026-10-03T16:00:00Z", 39600),
        ("Asia/Seoul", "2026-07-01T00:00:00Z", 32400), ("Asia/Kolkata", "2026-07-01T00:00:00Z", 19800),
        ("Europe/London", "1970-01-01T00:00:00Z", 3600),
    ])
    func tzifFilesGiveTheKnownOffsets(name: String, at: String, offset: Int32) throws {
        #expect(try Self.zone(name).offset(at: instant(at)) == offset)
    }

    @Test func garbageIsNotAZoneFile() {
        #expect(throws: ZoneError.self) { try ZoneRules(tzif: Array("not a zone".utf8), name: "x") }
        #expect(throws: ZoneError.self) { try ZoneRules(tzif: Array("TZif2".utf8) + [UInt8](repeating: 0, count: 10), name: "x") }
        #expect(throws: ZoneError.self) { try ZoneRules(posix: "nonsense") }
    }

    /// Spring forward: 02:30 does not exist on 29 March 2026 in Berlin; it fires once, when the gap
    /// ends (03:00 CEST, 01:00 UTC). Fall back: 02:30 happens twice on 25 October; it fires once,
    /// at the first (00:30 UTC).
    @Test(arguments: [berlinRule, "tzif"])
    func daylightSavingGapsFireOnceAndRepeatsFireOnce(source: String) throws {
        let zone = source == "tzif" ? try Self.zone("Europe/Berlin") : try ZoneRules(posix: source)
        let daily = try CronExpression("30 2 * * *")
        #expect(
            daily.nextFires(after: instant("2026-03-28T12:00:00Z"), count: 3, in: zone).map(text) == [
                "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z",
            ])
        #expect(
            daily.nextFires(after: instant("2026-10-24T12:00:00Z"), count: 2, in: zone).map(text) == [
                "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z",
            ])
        let halfHourly = try CronExpression("*/30 * * * *")
        #expect(
            halfHourly.nextFires(after: instant("2026-10-25T00:15:00Z"), count: 3, in: zone).map(text) == [
                "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z", "2026-10-25T02:30:00Z",
            ])
        #expect(
            halfHourly.nextFires(after: instant("2026-03-29T00:15:00Z"), count: 3, in: zone).map(text) == [
                "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z",
            ])
    }

    @Test func localTimesResolveToInstants() throws {
        let zone = try ZoneRules(posix: Self.berlinRule)
        #expect(zone.instants(forLocal: instant("2026-07-01T12:00:00Z")) == .unique(instant("2026-07-01T10:00:00Z")))
        #expect(zone.instants(forLocal: instant("2026-03-29T02:30:00Z")) == .skipped(instant("2026-03-29T01:00:00Z")))
        #expect(
            zone.instants(forLocal: instant("2026-10-25T02:30:00Z"))
                == .repeated(instant("2026-10-25T00:30:00Z"), instant("2026-10-25T01:30:00Z")))
    }

    @Test func zoneNamesThatCouldEscapeTheDatabaseAreRefused() {
        for good in ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"] { #expect(ZoneName.isValid(Substring(good))) }
        for bad in ["", "/etc/passwd", "../x", "Europe/../../etc", "a//b", "Europe/", "x y", "-rf"] {
            #expect(!ZoneName.isValid(Substring(bad)))
        }
    }
}
