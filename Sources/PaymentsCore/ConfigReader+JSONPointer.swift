extension ConfigReader {
    /// An RFC 6901 pointer (`GW_<ID>_AMOUNT=/data/amount`); `fallback` when unset or empty, so it always names a field.
    ///
    /// - Throws: `ConfigurationError` naming `key` when the text is not a JSON pointer.
    public func pointer(_ key: String, default fallback: String) throws(ConfigurationError) -> JSONPointer {
        do {
            return try JSONPointer(string(key, default: fallback))
        } catch {
            let problem = ConfigurationError(variable: key, problem: "is not a JSON pointer: \(error.problem)")
            guard let standIn = try? JSONPointer(fallback) else { throw problem }
            return try reject(problem, answering: standIn)
        }
    }
}
