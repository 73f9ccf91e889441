-- up
CREATE TABLE "events" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "kind" varchar(32) NOT NULL, "payload" text NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL );
CREATE INDEX "events_created_at_idx" ON "events" ("created_at");
CREATE TABLE "events_head" ( "id" integer NOT NULL PRIMARY KEY, "writes" integer NOT NULL DEFAULT 0, "pruned_through" integer NOT NULL DEFAULT 0 );
INSERT INTO "events_head" ("id", "writes", "pruned_through") VALUES (1, 0, 0);
-- down
DROP TABLE "events_head";
DROP TABLE "events";
