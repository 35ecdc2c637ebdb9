extension Result {
    /// The outcome of an async closure with a typed error.
    public init(catching body: () async throws(Failure) -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
