-- up
CREATE TABLE "tags" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(50) NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL );
CREATE UNIQUE INDEX "tags_name_key" ON "tags" ("name");
-- down
DROP TABLE "tags";
