/// The version every executable reports with `--version`, and the commit it was built from.
public enum BuildInfo {
    /// The release of the project; bumped by hand with each release.
    public static let version = "0.10.0"
    /// The git commit of the build (`-modified` when Sources/, sql/ or Package.swift had uncommitted changes).
    public static let commit = buildCommit
    /// `0.10.0 (commit 1a2b3c4d5e6f)`: what `--version` prints.
    public static let description = "\(version) (commit \(commit))"
}
