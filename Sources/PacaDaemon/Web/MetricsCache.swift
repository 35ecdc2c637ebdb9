import PacaSystem

/// `/metrics` needs no sign-in, so whoever can reach the port may ask as often as they like: the
/// text is computed (catalog, engine, scheduler) at most once per ``maxAge``. A scrape within that
/// time of the last computation gets its text; scrapes arriving while one is computed wait for it.
actor MetricsCache {
    static let maxAge: Duration = .seconds(1)
    private let clock: ServiceClock
    private var last: (at: Duration, text: String)?
    private var computing: Task<String, Never>?
    /// How many times the text was computed (tests).
    private(set) var computations = 0

    init(clock: ServiceClock) { self.clock = clock }

    func text(_ compute: @escaping @Sendable () async -> String) async -> String {
        let now = clock.reading().uptime
        if let last, now - last.at < Self.maxAge { return last.text }
        if let computing { return await computing.value }
        let task = Task { await compute() }
        computing = task
        computations += 1
        let text = await task.value
        last = (now, text)
        computing = nil
        return text
    }
}
