/// Int64 arithmetic that sticks at the edges instead of trapping.
///
/// For bounds built around numbers that came from outside (token claims, signature timestamps, header values,
/// gateway answers, cache lifetimes): a sum past Int64 becomes `Int64.max` (or `.min`), so comparing against it is
/// still meaningful and nothing a peer sends can stop the process. Money never goes through here: amounts are
/// range-checked where they enter and then added with checked operations that refuse the result instead.
public enum Saturating {
    /// `a + b`, or the nearest edge of Int64 when it does not fit.
    public static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return b > 0 ? .max : .min
    }

    /// `a - b`, or the nearest edge of Int64 when it does not fit.
    public static func subtract(_ a: Int64, _ b: Int64) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        guard overflow else { return difference }
        return b > 0 ? .min : .max
    }
}
