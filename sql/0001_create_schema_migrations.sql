-- Which migration files have been applied, with the SHA-256 of each file as applied (DESIGN §6).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    checksum CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    applied_at DATETIME(6) NOT NULL,
    PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
