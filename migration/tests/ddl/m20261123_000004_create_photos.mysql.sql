-- up
CREATE TABLE `photos` ( `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, `owner_id` int NOT NULL, `filename` varchar(255) NOT NULL, `caption` text NULL, `created_at` DATETIME(6) NOT NULL, `updated_at` DATETIME(6) NOT NULL, CONSTRAINT `photos_owner_id_fkey` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE CASCADE );
CREATE INDEX `photos_owner_id_created_at_idx` ON `photos` (`owner_id`, `created_at`);
-- down
DROP TABLE `photos`;
