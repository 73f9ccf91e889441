//! Rows for tests to stand on, inserted through the entities as an
//! application would, so that their `ActiveModelBehavior` runs.

use entity::{comment, photo, photo_tag, post, profile, tag, user};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

/// Inserts a user named `username` with the e-mail `USERNAME@example.com`.
pub async fn user(db: &impl ConnectionTrait, username: &str) -> Result<user::Model, DbErr> {
    user_with_email(db, username, &format!("{username}@example.com")).await
}

/// Inserts a user with the given username and e-mail.
pub async fn user_with_email(
    db: &impl ConnectionTrait,
    username: &str,
    email: &str,
) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        username: Set(username.to_owned()),
        email: Set(email.to_owned()),
        email_key: Set(user::email_key(email)),
        password_hash: Set(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_owned(),
        ),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Inserts the profile of `user`.
pub async fn profile(
    db: &impl ConnectionTrait,
    user: &user::Model,
) -> Result<profile::Model, DbErr> {
    profile::ActiveModel {
        user_id: Set(user.id),
        display_name: Set(format!("{} (display)", user.username)),
        bio: Set(format!("All about {}", user.username)),
        avatar_url: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Inserts a post by `author`.
pub async fn post(
    db: &impl ConnectionTrait,
    author: &user::Model,
    title: &str,
) -> Result<post::Model, DbErr> {
    post::ActiveModel {
        author_id: Set(author.id),
        title: Set(title.to_owned()),
        body: Set(format!("The body of {title}")),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Inserts a photo owned by `owner`.
pub async fn photo(
    db: &impl ConnectionTrait,
    owner: &user::Model,
    filename: &str,
) -> Result<photo::Model, DbErr> {
    photo::ActiveModel {
        owner_id: Set(owner.id),
        filename: Set(filename.to_owned()),
        caption: Set(Some(format!("A caption for {filename}"))),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Inserts a tag named `name`.
pub async fn tag(db: &impl ConnectionTrait, name: &str) -> Result<tag::Model, DbErr> {
    tag::ActiveModel {
        name: Set(name.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Files `photo` under `tag`.
pub async fn tag_photo(
    db: &impl ConnectionTrait,
    photo: &photo::Model,
    tag: &tag::Model,
) -> Result<photo_tag::Model, DbErr> {
    photo_tag::ActiveModel {
        photo_id: Set(photo.id),
        tag_id: Set(tag.id),
        photo_created_at: Set(Some(photo.created_at)),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Inserts a comment by `author` on `post`.
pub async fn comment(
    db: &impl ConnectionTrait,
    post: &post::Model,
    author: &user::Model,
    body: &str,
) -> Result<comment::Model, DbErr> {
    comment::ActiveModel {
        post_id: Set(post.id),
        author_id: Set(author.id),
        body: Set(body.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await
}
