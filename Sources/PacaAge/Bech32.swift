/// Bech32 (BIP 173), the encoding of age's recipients (`age1…`) and identities
/// (`AGE-SECRET-KEY-1…`). As age does, no length limit applies; a string must be all lower or all
/// upper case.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, byte) in charset.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where top >> UInt32(bit) & 1 == 1 { checksum ^= generator[bit] }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] { hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 } }

    /// Regroups bits: 8 to 5 when encoding, 5 to 8 (refusing leftover bits) when decoding.
    private static func convert(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var out: [UInt8] = []
        let mask = (1 << to) - 1
        for value in data {
            accumulator = accumulator << from | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8(accumulator >> bits & mask))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8(accumulator << (to - bits) & mask)) }
        } else if bits >= from || accumulator << (to - bits) & mask != 0 {
            return nil
        }
        return out
    }

    /// `data` under human-readable part `hrp` (lower case), in lower case.
    static func encode(hrp: String, _ data: [UInt8]) -> String {
        let prefix = Array(hrp.utf8)
        let words = convert(data, from: 8, to: 5, pad: true) ?? []
        let checksum = polymod(expand(prefix) + words + [0, 0, 0, 0, 0, 0]) ^ 1
        let check = (0..<6).map { UInt8(checksum >> UInt32(5 * (5 - $0)) & 31) }
        return hrp + "1" + String(decoding: (words + check).map { charset[Int($0)] }, as: UTF8.self)
    }

    /// The human-readable part (lower case) and the data of `text`, or nil when it is not valid
    /// Bech32.
    static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 >= 33 && $0 <= 126 }) else { return nil }
        let lower = text.lowercased()
        guard text == lower || text == text.uppercased() else { return nil }
        let characters = Array(lower.utf8)
        guard let separator = characters.lastIndex(of: UInt8(ascii: "1")), separator >= 1, characters.count - separator > 6 else {
            return nil
        }
        let hrp = Array(characters[..<separator])
        var words: [UInt8] = []
        for character in characters[(separator + 1)...] {
            guard character < 128, values[Int(character)] >= 0 else { return nil }
            words.append(UInt8(values[Int(character)]))
        }
        guard polymod(expand(hrp) + words) == 1, let data = convert(Array(words.dropLast(6)), from: 5, to: 8, pad: false) else {
            return nil
        }
        return (String(decoding: hrp, as: UTF8.self), data)
    }
}
