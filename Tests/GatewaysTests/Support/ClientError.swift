import PaymentsCore

/// The status and `errorName` a route's failure reaches the client with, through the pipeline's own error mapping
/// (DESIGN §3); nil when the route answered.
func clientError<Answer>(_ body: () throws -> Answer) -> APIError.Code? {
    do {
        _ = try body()
        return nil
    } catch {
        return ErrorMapping.apiError(for: error).0.code
    }
}
