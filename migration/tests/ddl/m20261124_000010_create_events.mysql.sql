-- up
CREATE TABLE `events` ( `id` bigint NOT NULL PRIMARY KEY AUTO_INCREMENT, `kind` varchar(32) NOT NULL, `payload` text NOT NULL, `created_at` DATETIME(6) NOT NULL );
CREATE INDEX `events_created_at_idx` ON `events` (`created_at`);
CREATE TABLE `events_head` ( `id` int NOT NULL PRIMARY KEY, `writes` bigint NOT NULL DEFAULT 0, `pruned_through` bigint NOT NULL DEFAULT 0 );
INSERT INTO `events_head` (`id`, `writes`, `pruned_through`) VALUES (1, 0, 0);
-- down
DROP TABLE `events_head`;
DROP TABLE `events`;
