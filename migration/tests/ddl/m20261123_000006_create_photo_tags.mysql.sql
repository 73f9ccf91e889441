-- up
CREATE TABLE `photo_tags` ( `photo_id` int NOT NULL, `tag_id` int NOT NULL, `created_at` DATETIME(6) NOT NULL, PRIMARY KEY `photo_tags_pkey` (`photo_id`, `tag_id`), CONSTRAINT `photo_tags_photo_id_fkey` FOREIGN KEY (`photo_id`) REFERENCES `photos` (`id`) ON DELETE CASCADE, CONSTRAINT `photo_tags_tag_id_fkey` FOREIGN KEY (`tag_id`) REFERENCES `tags` (`id`) ON DELETE CASCADE );
CREATE INDEX `photo_tags_tag_id_photo_id_idx` ON `photo_tags` (`tag_id`, `photo_id`);
-- down
DROP TABLE `photo_tags`;
