/// Calendar arithmetic shared by certificate validity times and RFC 3339 timestamps.
public enum CivilDate {
    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's civil-date algorithm: 400-year
    /// eras of 146097 days). Callers keep `year` within 0…9999, so nothing here can overflow.
    public static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
