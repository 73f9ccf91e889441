-- up
SELECT "id", "email" FROM "users" WHERE "id" > 0 ORDER BY "id" ASC LIMIT 1000;
ALTER TABLE "users" ADD COLUMN "email_key" varchar(512) NOT NULL DEFAULT '';
DROP INDEX "users_email_key";
CREATE UNIQUE INDEX "users_email_fold_key" ON "users" ("email_key");
-- down
DROP INDEX "users_email_fold_key";
ALTER TABLE "users" DROP COLUMN "email_key";
CREATE UNIQUE INDEX "users_email_key" ON "users" ("email");
