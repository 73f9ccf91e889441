-- up
CREATE TABLE `profiles` ( `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, `user_id` int NOT NULL, `display_name` varchar(100) NOT NULL, `bio` text NOT NULL, `avatar_url` varchar(2048) NULL, `created_at` DATETIME(6) NOT NULL, `updated_at` DATETIME(6) NOT NULL, CONSTRAINT `profiles_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE );
CREATE UNIQUE INDEX `profiles_user_id_key` ON `profiles` (`user_id`);
-- down
DROP TABLE `profiles`;
