-- up
CREATE TABLE `comments` ( `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, `post_id` int NOT NULL, `author_id` int NOT NULL, `body` varchar(2000) NOT NULL, `created_at` DATETIME(6) NOT NULL, `updated_at` DATETIME(6) NOT NULL, CONSTRAINT `comments_post_id_fkey` FOREIGN KEY (`post_id`) REFERENCES `posts` (`id`) ON DELETE CASCADE, CONSTRAINT `comments_author_id_fkey` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE CASCADE );
CREATE INDEX `comments_post_id_created_at_idx` ON `comments` (`post_id`, `created_at`);
CREATE INDEX `comments_author_id_created_at_idx` ON `comments` (`author_id`, `created_at`);
-- down
DROP TABLE `comments`;
