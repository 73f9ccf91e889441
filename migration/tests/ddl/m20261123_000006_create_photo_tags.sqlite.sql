-- up
CREATE TABLE "photo_tags" ( "photo_id" integer NOT NULL, "tag_id" integer NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL, CONSTRAINT "photo_tags_pkey" PRIMARY KEY ("photo_id", "tag_id"), FOREIGN KEY ("photo_id") REFERENCES "photos" ("id") ON DELETE CASCADE, FOREIGN KEY ("tag_id") REFERENCES "tags" ("id") ON DELETE CASCADE );
CREATE INDEX "photo_tags_tag_id_photo_id_idx" ON "photo_tags" ("tag_id", "photo_id");
-- down
DROP TABLE "photo_tags";
