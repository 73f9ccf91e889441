-- up
CREATE TABLE `users` ( `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, `username` varchar(32) NOT NULL, `email` varchar(255) NOT NULL COLLATE utf8mb4_unicode_ci, `password_hash` varchar(255) NOT NULL, `created_at` DATETIME(6) NOT NULL, `updated_at` DATETIME(6) NOT NULL );
CREATE UNIQUE INDEX `users_username_key` ON `users` (`username`);
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- down
DROP TABLE `users`;
