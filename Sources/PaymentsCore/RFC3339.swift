import Signing

/// Parses RFC 3339 timestamps (`2026-01-01T00:00:00Z`, `…T00:00:00.123+02:00`), such as PayPal's
/// `PAYPAL-TRANSMISSION-TIME`, into unix seconds without Foundation and without any arithmetic that can trap.
public enum RFC3339 {
    /// Unix seconds (fractions dropped), or nil unless `text` is a complete, valid RFC 3339 date-time with a zone.
    public static func unixSeconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        // The longest sensible form: 19 for the date-time, a fraction of up to 9 digits, 6 for the offset.
        guard (20...35).contains(bytes.count) else { return nil }
        func number(_ start: Int, _ length: Int) -> Int? {
            var value = 0
            for byte in bytes[start..<(start + length)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is characters: String) -> Bool { characters.utf8.contains(bytes[index]) }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"),
            let day = number(8, 2), byte(10, is: "Tt"), let hour = number(11, 2), byte(13, is: ":"),
            let minute = number(14, 2), byte(16, is: ":"), let second = number(17, 2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour <= 23, minute <= 59,
            second <= 60
        else { return nil }
        var index = 19
        if byte(index, is: ".") {
            index += 1
            let digits = index
            while index < bytes.count, number(index, 1) != nil { index += 1 }
            guard index > digits, index < bytes.count else { return nil }
        }
        let offset: Int
        if byte(index, is: "Zz") {
            guard index + 1 == bytes.count else { return nil }
            offset = 0
        } else {
            guard byte(index, is: "+-"), index + 6 == bytes.count, let hours = number(index + 1, 2),
                byte(index + 3, is: ":"), let minutes = number(index + 4, 2), hours <= 23, minutes <= 59
            else { return nil }
            offset = (hours * 60 + minutes) * 60 * (byte(index, is: "-") ? -1 : 1)
        }
        let days = CivilDate.daysSinceEpoch(year: Int64(year), month: Int64(month), day: Int64(day))
        return days * 86_400 + Int64(hour * 3_600 + minute * 60 + second - offset)
    }

    static func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
