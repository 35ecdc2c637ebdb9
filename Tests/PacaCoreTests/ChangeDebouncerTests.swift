import PacaCore
import Testing

struct ChangeDebouncerTests {
    @Test func aBurstOfSavesIsOneBurstDueAfterTheLastQuietPeriod() {
        var debouncer = ChangeDebouncer(quiet: 5)
        #expect(debouncer.dueAt == nil)
        for index in 0..<20 { debouncer.note("/cfg/train.yaml", at: 100 + Double(index) * 0.5) }
        #expect(debouncer.dueAt == 109.5 + 5)
        #expect(debouncer.fire(at: 114.4) == nil)
        let burst = debouncer.fire(at: 114.5)
        #expect(burst?.firstPath == "/cfg/train.yaml" && burst?.changes == 20)
        #expect(burst?.firstAt == 100 && burst?.lastAt == 109.5)
        #expect(debouncer.fire(at: 200) == nil)
        #expect(!debouncer.isPending)
    }

    @Test func changesThatNeverStopStillBackUpAfterTheLongestWait() {
        var debouncer = ChangeDebouncer(quiet: 5)
        #expect(debouncer.longest == 60)
        var fired: [Double] = []
        // A file rewritten every second for five minutes.
        for second in 0..<300 {
            let now = Double(second)
            debouncer.note("/logs/run.log", at: now)
            if debouncer.fire(at: now) != nil { fired.append(now) }
        }
        #expect(fired == [60, 121, 182, 243])
    }

    @Test func aChangeAfterAFireStartsTheNextBurst() {
        var debouncer = ChangeDebouncer(quiet: 2, longest: 10)
        debouncer.note("a", at: 0)
        #expect(debouncer.fire(at: 2)?.changes == 1)
        debouncer.note("b", at: 3)
        #expect(debouncer.dueAt == 5)
        #expect(debouncer.fire(at: 5)?.firstPath == "b")
    }

    @Test func theLongestWaitIsNeverShorterThanTheQuietPeriod() {
        let debouncer = ChangeDebouncer(quiet: 30, longest: 1)
        #expect(debouncer.longest == 30)
    }
}
