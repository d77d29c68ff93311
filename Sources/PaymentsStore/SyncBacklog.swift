import MariaDB

/// The unsynced-row count, the failed ones among them and the age of the oldest, shared by the ledger's metrics
/// and `SyncStore.stats()`.
enum SyncBacklog {
    /// Reads through the `(sync_state, next_sync_at)` index: failed rows count as unsynced too, and are also
    /// counted on their own.
    static func read(_ connection: Connection) throws -> (unsynced: Int, failed: Int, oldestSeconds: Int) {
        let row = try connection.queryOne(
            """
            SELECT COUNT(*), COUNT(CASE WHEN sync_state = 'failed' THEN 1 END), \
            COALESCE(TIMESTAMPDIFF(SECOND, MIN(created_at), UTC_TIMESTAMP(6)), 0) \
            FROM tn_payments WHERE sync_state IN ('pending', 'failed')
            """)
        return (try row?.int(0) ?? 0, try row?.int(1) ?? 0, max(0, try row?.int(2) ?? 0))
    }
}
