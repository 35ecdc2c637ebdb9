import CPacaSystem

/// Searching memory with the C library's vectorised routines.
public enum ByteSearch {
    /// True when the `needleCount` bytes at `needle` occur in the `haystackCount` bytes at
    /// `haystack` (glibc's `memmem`, no copy). Nil pointers find nothing.
    public static func contains(
        _ haystack: UnsafeRawPointer?, count haystackCount: Int, _ needle: UnsafeRawPointer?, count needleCount: Int
    )
        -> Bool
    {
        paca_contains_bytes(haystack, haystackCount, needle, needleCount) != 0
    }
}
