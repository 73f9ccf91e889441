-- up
ALTER TABLE "photos" ADD COLUMN "width" integer NULL;
ALTER TABLE "photos" ADD COLUMN "height" integer NULL;
ALTER TABLE "photos" ADD COLUMN "byte_size" integer NULL;
ALTER TABLE "photos" ADD COLUMN "content_type" varchar(32) NULL;
ALTER TABLE "photos" ADD COLUMN "sha256" char(64) NULL;
CREATE INDEX "photos_sha256_idx" ON "photos" ("sha256");
-- down
DROP INDEX "photos_sha256_idx";
ALTER TABLE "photos" DROP COLUMN "sha256";
ALTER TABLE "photos" DROP COLUMN "content_type";
ALTER TABLE "photos" DROP COLUMN "byte_size";
ALTER TABLE "photos" DROP COLUMN "height";
ALTER TABLE "photos" DROP COLUMN "width";
