-- Every operator command's audit row (DESIGN §6): when, which OS user, what, on what, why, and the result. Rows are
-- only ever added.
CREATE TABLE IF NOT EXISTS operator_actions (
    id BIGINT NOT NULL AUTO_INCREMENT,
    action VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    target VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    os_user VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    reason VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL,
    result VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY idx_operator_actions_target (target),
    KEY idx_operator_actions_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What the operator who resolved an item wrote about it (`payments-sync items resolve <id> --note <text>`).
ALTER TABLE operator_items ADD COLUMN IF NOT EXISTS resolution_note VARCHAR(1024) CHARACTER SET utf8mb4
    COLLATE utf8mb4_unicode_ci NULL AFTER resolved_at;
