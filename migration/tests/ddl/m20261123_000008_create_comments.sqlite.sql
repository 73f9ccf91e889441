-- up
CREATE TABLE "comments" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "post_id" integer NOT NULL, "author_id" integer NOT NULL, "body" varchar(2000) NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, FOREIGN KEY ("post_id") REFERENCES "posts" ("id") ON DELETE CASCADE, FOREIGN KEY ("author_id") REFERENCES "users" ("id") ON DELETE CASCADE );
CREATE INDEX "comments_post_id_created_at_idx" ON "comments" ("post_id", "created_at");
CREATE INDEX "comments_author_id_created_at_idx" ON "comments" ("author_id", "created_at");
-- down
DROP TABLE "comments";
