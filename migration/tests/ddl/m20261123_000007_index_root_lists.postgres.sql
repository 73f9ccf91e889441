-- up
CREATE INDEX "posts_created_at_id_idx" ON "posts" ("created_at", "id");
CREATE INDEX "photos_created_at_id_idx" ON "photos" ("created_at", "id");
CREATE INDEX "users_created_at_id_idx" ON "users" ("created_at", "id");
-- down
DROP INDEX "posts_created_at_id_idx";
DROP INDEX "photos_created_at_id_idx";
DROP INDEX "users_created_at_id_idx";
