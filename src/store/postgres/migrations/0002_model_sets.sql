-- 0002: model sets installed in the database (issue 14; SQLite's migration 0007):
-- `commentguard models install` stores spam.json and abuse.json as one unit, and every
-- instance polls for the newest and serves it. Never edit once shipped.
--
-- `version` counts up from 1 in install order: the store gives the newest + 1 under an
-- advisory lock, so versions are contiguous and a higher one was committed later (an
-- identity column would let a later commit carry a lower number). `checksum` is the
-- SHA-256 of the pair (store::models::checksum), checked by every instance before it
-- loads the bytes. The bytes are TOASTed out of line: polling the newest row's version
-- and checksum reads none of them.
CREATE TABLE model_sets (
    version      BIGINT PRIMARY KEY,
    checksum     TEXT   NOT NULL,
    installed_at BIGINT NOT NULL,           -- unix milliseconds
    installed_by TEXT   NOT NULL,
    spam         BYTEA  NOT NULL,           -- the bytes of spam.json
    abuse        BYTEA  NOT NULL            -- the bytes of abuse.json
);
