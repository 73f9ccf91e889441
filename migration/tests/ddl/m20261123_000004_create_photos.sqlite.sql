-- up
CREATE TABLE "photos" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "owner_id" integer NOT NULL, "filename" varchar(255) NOT NULL, "caption" text NULL, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE );
CREATE INDEX "photos_owner_id_created_at_idx" ON "photos" ("owner_id", "created_at");
-- down
DROP TABLE "photos";
