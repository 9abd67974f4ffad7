-- 0007: model sets installed in the database (issue 14): `commentguard models install`
-- stores spam.json and abuse.json as one unit, and every instance on the database polls
-- for the newest and serves it. Never edit once shipped.
--
-- `version` counts up from 1 in install order (the store gives the newest + 1; sets are
-- pruned oldest first and the newest is never deleted, so a version is never reused).
-- `checksum` is the SHA-256 of the pair (store::models::checksum), checked by every
-- instance before it loads the bytes. The small columns come first: polling reads
-- version and checksum from the newest row without touching the blobs' overflow pages.
CREATE TABLE model_sets (
    version      INTEGER PRIMARY KEY,
    checksum     TEXT    NOT NULL,
    installed_at INTEGER NOT NULL,          -- unix milliseconds
    installed_by TEXT    NOT NULL,
    spam         BLOB    NOT NULL,          -- the bytes of spam.json
    abuse        BLOB    NOT NULL           -- the bytes of abuse.json
);
