-- up
CREATE TABLE `posts` ( `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, `author_id` int NOT NULL, `title` varchar(200) NOT NULL, `body` text NOT NULL, `created_at` DATETIME(6) NOT NULL, `updated_at` DATETIME(6) NOT NULL, CONSTRAINT `posts_author_id_fkey` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE CASCADE );
CREATE INDEX `posts_author_id_created_at_idx` ON `posts` (`author_id`, `created_at`);
-- down
DROP TABLE `posts`;
