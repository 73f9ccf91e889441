-- up
CREATE TABLE "profiles" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL, "display_name" varchar(100) NOT NULL, "bio" text NOT NULL, "avatar_url" varchar(2048) NULL, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE );
CREATE UNIQUE INDEX "profiles_user_id_key" ON "profiles" ("user_id");
-- down
DROP TABLE "profiles";
