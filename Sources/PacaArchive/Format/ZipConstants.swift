/// Signatures, versions and flags from PKWARE's APPNOTE.TXT (6.3.x) and Info-ZIP's extra-field list.
enum Zip {
    static let localHeaderSignature: UInt32 = 0x0403_4b50
    static let dataDescriptorSignature: UInt32 = 0x0807_4b50
    static let centralHeaderSignature: UInt32 = 0x0201_4b50
    static let endOfCentralDirectorySignature: UInt32 = 0x0605_4b50
    static let zip64EndOfCentralDirectorySignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50

    static let localHeaderSize = 30
    static let centralHeaderSize = 46
    static let endOfCentralDirectorySize = 22
    static let zip64EndOfCentralDirectorySize = 56
    static let zip64LocatorSize = 20

    /// "Version made by": high byte 3 = Unix (so readers honour the mode bits), low byte 30 = spec 3.0, as Info-ZIP writes.
    static let versionMadeBy: UInt16 = 3 << 8 | 30
    static let versionStored: UInt16 = 10
    static let versionDeflated: UInt16 = 20
    static let versionZip64: UInt16 = 45

    /// General purpose flag bit 3: CRC and sizes follow the data in a data descriptor.
    static let flagDataDescriptor: UInt16 = 1 << 3
    /// General purpose flag bit 11: the name is UTF-8.
    static let flagUTF8: UInt16 = 1 << 11

    static let extraZip64: UInt16 = 0x0001
    /// Info-ZIP extended timestamp ("UT"): modification time as a 32-bit Unix time.
    static let extraTimestamp: UInt16 = 0x5455
    /// Info-ZIP new Unix extra ("ux"): uid and gid.
    static let extraUnixOwner: UInt16 = 0x7875

    /// A 32-bit size or offset field holding this value means "see the ZIP64 extra field".
    static let overflow32: UInt32 = 0xFFFF_FFFF
    static let overflow16: UInt16 = 0xFFFF

    /// MS-DOS directory attribute bit in the low byte of the external attributes.
    static let dosDirectoryAttribute: UInt32 = 0x10
}

/// How an entry's data is stored.
public enum CompressionMethod: Sendable, Equatable, CustomStringConvertible {
    case stored
    case deflated
    /// A method this reader does not support (the number from the header).
    case other(UInt16)

    init(code: UInt16) {
        switch code {
        case 0: self = .stored
        case 8: self = .deflated
        default: self = .other(code)
        }
    }

    var code: UInt16 {
        switch self {
        case .stored: 0
        case .deflated: 8
        case .other(let code): code
        }
    }

    public var description: String {
        switch self {
        case .stored: "stored"
        case .deflated: "deflated"
        case .other(let code): "method \(code)"
        }
    }
}
