#if canImport(Glibc)
    import Glibc
#endif

/// What every harness shares: libFuzzer's driver, the input as bytes, splitting it into fields, invariant checks.
///
/// A harness target exports `LLVMFuzzerTestOneInput` and `<Module>_main` (SwiftPM links an executable's entry point
/// under that name), which hands the command line to libFuzzer through `runDriver`.
public enum Fuzz {
    /// libFuzzer's callback: one input, 0 to continue.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Runs libFuzzer with the process's arguments (`-runs=`, `-max_total_time=`, corpus directories, …).
    public static func runDriver(
        argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ test: TestOneInput
    ) -> CInt {
        var count = argc
        var vector = argv
        return fuzzerRunDriver(&count, &vector, test)
    }

    /// The input as an array (libFuzzer may pass a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Splits `bytes` at `separator` into at most `limit` fields; the last field keeps the rest, separators included.
    public static func fields(_ bytes: [UInt8], separator: UInt8, limit: Int) -> [[UInt8]] {
        bytes.split(separator: separator, maxSplits: max(limit - 1, 0), omittingEmptySubsequences: false).map {
            Array($0)
        }
    }

    /// The bytes as text, invalid UTF-8 replaced (as the responder decodes parameters and bodies).
    public static func text(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Stops the run as a crash when an invariant does not hold, so libFuzzer saves the input.
    public static func check(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, line: UInt = #line,
        file: StaticString = #fileID
    ) {
        guard !condition() else { return }
        let report = Array("invariant failed at \(file):\(line): \(message())\n".utf8)
        _ = report.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }
}

/// libFuzzer's public entry point for a program that has its own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
private func fuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ test: Fuzz.TestOneInput
) -> CInt
