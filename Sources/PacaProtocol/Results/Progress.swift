/// The counters of a long operation: sent in `progress` notifications (with the request's `id`)
/// before the reply, and part of each activity in `status`.
public struct Progress: WireObject, Equatable {
    public var phase = ProgressPhase.backup
    public var files = 0
    public var bytes: UInt64 = 0
    public var totalBytes: UInt64 = 0
    public var totalFiles = 0
    public var percent: Int?
    /// The backup it is about, once it has an id.
    public var backup: String?
    public init() {}
    public static let fields: [WireField<Progress>] = [
        .required(
            "phase", \.phase,
            "queued (behind a running backup of the set), captured (a checkpoint's files are safe; its backup follows), backup, restore or verify."
        ),
        .required("files", \.files, "Files done."),
        .required("bytes", \.bytes, "Bytes done."),
        .required("total_bytes", \.totalBytes, "Bytes in all; 0 until known."),
        .required("total_files", \.totalFiles, "Files in all; 0 until known."),
        .optional("percent", \.percent, "0-100 from bytes; null while the total is not known."),
        .optional("backup", \.backup, "The backup, once it has an id.", omittedWhenNil: true),
    ]
}

public enum ProgressPhase: String, WireEnum {
    case queued, captured, backup, restore, verify, scrub, rebuild
}

extension WireField {
    /// This field of a part (`Progress`) as a field of the whole that holds the part at `part`,
    /// so the part's members sit directly in the whole's object.
    public func nested<Whole>(in part: any WritableKeyPath<Whole, Root> & Sendable) -> WireField<Whole> {
        let (read, write) = (self.read, self.write)
        return WireField<Whole>(
            name: name, summary: summary, isRequired: isRequired, isAlwaysWritten: isAlwaysWritten, schema: schema, register: register,
            read: { (whole, member) throws(WireProblem) in try read(&whole[keyPath: part], member) },
            write: { write($0[keyPath: part]) })
    }
}
