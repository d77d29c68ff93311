import Testing

/// The root of every integration suite, serialized so that only one test touches the shared `test` stack at a
/// time: several of them switch global sandbox state (Retail failure modes, the reCAPTCHA outage) or stop the
/// database, and all of them run `payments-sync` passes that take every due row.
///
/// Suites are nested in extensions, one file each; `.serialized` applies to all of them, and a serialized run
/// goes in source order; no suite depends on that order (destructive tests use a private stack).
@Suite("Integration", .serialized)
struct Integration {}
