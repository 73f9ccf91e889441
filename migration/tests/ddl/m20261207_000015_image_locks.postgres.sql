-- up
CREATE TABLE "image_locks" ( "sha256" varchar(64) NOT NULL PRIMARY KEY );
-- down
DROP TABLE "image_locks";
