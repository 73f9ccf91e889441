-- up
CREATE INDEX "posts_author_id_created_at_id_idx" ON "posts" ("author_id", "created_at", "id");
DROP INDEX "posts_author_id_created_at_idx";
CREATE INDEX "photos_owner_id_created_at_id_idx" ON "photos" ("owner_id", "created_at", "id");
DROP INDEX "photos_owner_id_created_at_idx";
CREATE INDEX "comments_post_id_created_at_id_idx" ON "comments" ("post_id", "created_at", "id");
DROP INDEX "comments_post_id_created_at_idx";
CREATE INDEX "comments_author_id_created_at_id_idx" ON "comments" ("author_id", "created_at", "id");
DROP INDEX "comments_author_id_created_at_idx";
-- down
CREATE INDEX "posts_author_id_created_at_idx" ON "posts" ("author_id", "created_at");
DROP INDEX "posts_author_id_created_at_id_idx";
CREATE INDEX "photos_owner_id_created_at_idx" ON "photos" ("owner_id", "created_at");
DROP INDEX "photos_owner_id_created_at_id_idx";
CREATE INDEX "comments_post_id_created_at_idx" ON "comments" ("post_id", "created_at");
DROP INDEX "comments_post_id_created_at_id_idx";
CREATE INDEX "comments_author_id_created_at_idx" ON "comments" ("author_id", "created_at");
DROP INDEX "comments_author_id_created_at_id_idx";
