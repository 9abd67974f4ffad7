-- 0004: fewer index pages written per stored comment (issue 5). Never edit once shipped.
--
-- Every secondary index costs each new comment one more B-tree leaf page in the writer's
-- transaction, its WAL frame and a later checkpoint copy. Two of them served one query each.

-- Duplicate detection ("same body by the same e-mail or IP on the site recently") had its own
-- index on (site_id, body_hash, created_at): a random key, so one more leaf page per comment.
-- It now runs on the author indexes, which every comment updates anyway: body_hash is
-- appended to their keys, and the query names every status (see comments::DUPLICATE).
DROP INDEX comments_by_body;
DROP INDEX comments_by_email;
CREATE INDEX comments_by_email ON comments (site_id, author_email, status, body_hash)
    WHERE author_email IS NOT NULL;
DROP INDEX comments_by_ip;
CREATE INDEX comments_by_ip ON comments (site_id, client_ip, status, body_hash);

-- The review queue's reason filter is a correlated EXISTS on one comment's reasons: the
-- primary key (comment_id, seq) finds those few rows as well as (code, comment_id) did, and
-- no other query looks reasons up by code.
DROP INDEX comment_reasons_by_code;
