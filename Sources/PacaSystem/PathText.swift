/// The parts of a slash-separated path, as text (no file system access).
public enum PathText {
    /// Everything before the last `/`: `"."` for a bare name, `"/"` for a file in the root.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Everything after the last `/`.
    public static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `path` made absolute against `directory` (the process's working directory, usually).
    public static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory == "/" ? "/" : directory + "/") + path
    }
}
