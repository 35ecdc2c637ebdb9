import PacaCore
import Testing

@Suite struct SetQueueTests {
    @Test func firstRequestStartsAndLaterOnesShareOneFollowUp() {
        var queue = SetQueue()
        let first = queue.admit(set: "training")
        let second = queue.admit(set: "training")
        let third = queue.admit(set: "training")
        #expect(first == .start(ticket: 1))
        #expect(second == .queued(ticket: 2))
        #expect(third == .joined(ticket: 2))
        #expect(queue.runningSets == ["training"])
        #expect(queue.waitingSets == ["training"])
    }

    @Test func setsDoNotWaitForEachOther() {
        var queue = SetQueue()
        #expect(queue.admit(set: "a") == .start(ticket: 1))
        #expect(queue.admit(set: "b") == .start(ticket: 2))
        #expect(queue.runningSets == ["a", "b"])
    }

    @Test func finishingPromotesTheFollowUpAndThenGoesIdle() {
        var queue = SetQueue()
        _ = queue.admit(set: "a")
        _ = queue.admit(set: "a")
        #expect(queue.finish(set: "a") == 2)
        #expect(queue.runningTicket(for: "a") == 2)
        #expect(queue.waitingTicket(for: "a") == nil)
        // A request after the follow-up started queues a new one.
        #expect(queue.admit(set: "a") == .queued(ticket: 3))
        #expect(queue.finish(set: "a") == 3)
        #expect(queue.finish(set: "a") == nil)
        #expect(queue.runningSets.isEmpty)
        #expect(queue.admit(set: "a") == .start(ticket: 4))
    }

    @Test func stoppingDropsWaitingTicketsOnly() {
        var queue = SetQueue()
        _ = queue.admit(set: "a")
        _ = queue.admit(set: "a")
        _ = queue.admit(set: "b")
        #expect(queue.dropWaiting() == [2])
        #expect(queue.runningSets == ["a", "b"])
        #expect(queue.finish(set: "a") == nil)
    }

    @Test func capturesWaitInLineEachWithATicketOfItsOwn() {
        var queue = SetQueue()
        #expect(queue.admit(set: "ckpt", joinable: false) == .start(ticket: 1))
        #expect(queue.admit(set: "ckpt", joinable: false) == .queued(ticket: 2))
        #expect(queue.admit(set: "ckpt") == .queued(ticket: 3))
        // A backup of the set as it is joins the shared follow-up, never a capture.
        #expect(queue.admit(set: "ckpt") == .joined(ticket: 3))
        #expect(queue.admit(set: "ckpt", joinable: false) == .queued(ticket: 4))
        #expect(queue.unsharedWaiting(for: "ckpt") == 2)
        #expect(queue.finish(set: "ckpt") == 2)
        #expect(queue.finish(set: "ckpt") == 3)
        // Once the shared follow-up runs, a new request queues a new one.
        #expect(queue.admit(set: "ckpt") == .queued(ticket: 5))
        #expect(queue.finish(set: "ckpt") == 4)
        #expect(queue.finish(set: "ckpt") == 5)
        #expect(queue.finish(set: "ckpt") == nil)
        #expect(queue.unsharedWaiting(for: "ckpt") == 0)
    }

    @Test func stoppingDropsEveryWaitingCapture() {
        var queue = SetQueue()
        _ = queue.admit(set: "ckpt", joinable: false)
        _ = queue.admit(set: "ckpt", joinable: false)
        _ = queue.admit(set: "ckpt", joinable: false)
        #expect(queue.dropWaiting() == [2, 3])
        #expect(queue.finish(set: "ckpt") == nil)
    }
}
