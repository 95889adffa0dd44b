-- Per-installation settings (locale, whether the sample catalog was seeded).
CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
