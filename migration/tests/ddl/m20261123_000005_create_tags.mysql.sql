-- up
CREATE TABLE `tags` ( `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, `name` varchar(50) NOT NULL, `created_at` DATETIME(6) NOT NULL );
CREATE UNIQUE INDEX `tags_name_key` ON `tags` (`name`);
-- down
DROP TABLE `tags`;
