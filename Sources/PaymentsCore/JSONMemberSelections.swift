/// The members a `JSONSelection.members` keeps, each with its own selection, in the order written.
///
/// Looked up for every key of a selected object while parsing (a Stripe event's PaymentIntent has about forty), so
/// the names are kept as bytes back to back and a plain ASCII key is compared by length, then byte by byte, without
/// walking `String`s.
public struct JSONMemberSelections: Sendable, ExpressibleByDictionaryLiteral {
    /// The names, as written.
    let names: [String]
    /// `selections[i]` applies to the member `names[i]`.
    let selections: [JSONSelection]
    /// Every name's UTF-8 bytes, back to back: name `i` is `nameBytes[starts[i]..<starts[i + 1]]`.
    private let nameBytes: [UInt8]
    private let starts: [Int]

    public init(dictionaryLiteral elements: (String, JSONSelection)...) {
        names = elements.map(\.0)
        selections = elements.map(\.1)
        var bytes: [UInt8] = []
        var starts = [0]
        for name in names {
            bytes += name.utf8
            starts.append(bytes.count)
        }
        nameBytes = bytes
        self.starts = starts
    }

    /// The first member named `key` (compared as text, as `String ==` does), or nil.
    func index(of key: String) -> Int? {
        names.firstIndex { $0 == key }
    }

    /// The first member whose name has exactly the bytes `key` (an ASCII key: bytes and text agree), or nil.
    func index(ascii key: ArraySlice<UInt8>) -> Int? {
        nameBytes.withUnsafeBufferPointer { names in
            key.withUnsafeBufferPointer { key in
                for index in 0..<(starts.count - 1) {
                    let start = starts[index]
                    guard starts[index + 1] - start == key.count else { continue }
                    var offset = 0
                    while offset < key.count && names[start + offset] == key[offset] { offset += 1 }
                    if offset == key.count { return index }
                }
                return nil
            }
        }
    }
}
