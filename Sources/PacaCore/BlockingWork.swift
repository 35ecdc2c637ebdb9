import Dispatch

/// Runs blocking file and zlib work on its own thread, off Swift's cooperative pool, and hands the
/// result back to the awaiting task. Each call gets a serial queue of its own, so one long backup
/// never waits behind another's work; the archive code bounds its own helper threads.
public enum BlockingWork {
    public static func run<T: Sendable>(_ label: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "paca.\(label)").async {
                continuation.resume(returning: body())
            }
        }
    }
}
