-- up
ALTER TABLE "photo_tags" ADD COLUMN "photo_created_at" timestamp with time zone NULL;
UPDATE photo_tags SET photo_created_at = (SELECT photos.created_at FROM photos WHERE photos.id = photo_tags.photo_id);
CREATE INDEX "photo_tags_tag_id_photo_created_at_photo_id_idx" ON "photo_tags" ("tag_id", "photo_created_at", "photo_id");
-- down
DROP INDEX "photo_tags_tag_id_photo_created_at_photo_id_idx";
ALTER TABLE "photo_tags" DROP COLUMN "photo_created_at";
