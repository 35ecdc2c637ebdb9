import PacaCore
import Testing

@Suite struct CivilTimeTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (Int64(951_782_400), "2000-02-29T00:00:00Z"),
        (Int64(1_704_067_200), "2024-01-01T00:00:00Z"),
        (Int64(1_709_164_799), "2024-02-28T23:59:59Z"),
        (Int64(1_709_251_199), "2024-02-29T23:59:59Z"),
        (Int64(4_102_444_800), "2100-01-01T00:00:00Z"),
        (Int64(-1), "1969-12-31T23:59:59Z"),
    ])
    func formatsKnownInstants(_ seconds: Int64, _ text: String) {
        let time = CivilTime(unixSeconds: seconds)
        #expect(time.rfc3339 == text)
        #expect(time.unixSeconds == seconds)
    }

    @Test func compactFormIsSortableAndFixedWidth() {
        #expect(CivilTime(unixSeconds: 1_795_744_800).compact == "20261127T020000Z")
    }

    @Test func roundTripsEveryDayAcrossFourCenturies() {
        var seconds: Int64 = -2_208_988_800  // 1900-01-01
        while seconds < 10_413_792_000 {  // 2300-01-01
            #expect(CivilTime(unixSeconds: seconds + 45_296).unixSeconds == seconds + 45_296)
            seconds += 86_400 * 7
        }
    }
}

@Test(arguments: [
    ("2026-11-27T02:00:00Z", Int64(1_795_744_800)),
    ("1970-01-01T00:00:00Z", Int64(0)),
    ("2024-02-29T23:59:59Z", Int64(1_709_251_199)),
])
func rfc3339ParsesWhatItPrints(text: String, seconds: Int64) {
    #expect(CivilTime(rfc3339: text)?.unixSeconds == seconds)
    #expect(CivilTime(unixSeconds: seconds).rfc3339 == text)
}

@Test(arguments: ["2026-02-30T00:00:00Z", "2026-11-27 02:00:00Z", "2026-11-27T02:00:00", "2026-13-01T00:00:00Z", "x"])
func rfc3339RefusesMalformedTimes(text: String) {
    #expect(CivilTime(rfc3339: text) == nil)
}
