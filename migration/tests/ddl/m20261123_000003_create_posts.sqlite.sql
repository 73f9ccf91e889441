-- up
CREATE TABLE "posts" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "author_id" integer NOT NULL, "title" varchar(200) NOT NULL, "body" text NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, FOREIGN KEY ("author_id") REFERENCES "users" ("id") ON DELETE CASCADE );
CREATE INDEX "posts_author_id_created_at_idx" ON "posts" ("author_id", "created_at");
-- down
DROP TABLE "posts";
