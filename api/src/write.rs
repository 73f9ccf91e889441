//! Every write Folio makes, and the reads a write needs first: the write
//! side's counterpart of `loader/`.
//!
//! Functions take plain inputs (ids, validated strings, sea-orm active
//! models) and return entity models or `DbErr`; they know nothing of
//! GraphQL, of who is asking, or of what a caller may do. Mutation resolvers
//! validate, check ownership, call in here and wrap the result. Writes of
//! more than one row run in one transaction; idempotent ones use
//! `ON CONFLICT` rather than a read before the write, except where a
//! conflicting insert has a cost of its own (tags: it burns an id). Uniqueness is left to
//! the database's constraints. A write that subscribers hear of appends its
//! events to the outbox in its own transaction (`crate::live::outbox`), so
//! that a write rolled back emits nothing.

use entity::{photo, photo_tag, post, profile, tag, user};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, FromQueryResult, IntoActiveModel, JoinType,
    QueryFilter, QuerySelect, RelationTrait, Set, TransactionTrait,
};

use crate::live::{Change, outbox};
use crate::loader::find_where;

/// The row `id` of `E`, secret columns blanked: what a write checks before it
/// changes or removes a row.
pub async fn find<E>(db: &impl ConnectionTrait, id: i32) -> Result<Option<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    let id_column = crate::paging::primary_id_column::<E>();
    let condition = Condition::all().add(Expr::col((E::default(), id_column)).eq(id));
    Ok(find_where::<E>(db, condition).await?.into_iter().next())
}

/// Inserts `row` (timestamps kept by its `ActiveModelBehavior`) and returns it.
pub async fn insert<A>(db: &impl ConnectionTrait, row: A) -> Result<ModelOf<A>, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A>,
{
    row.insert(db).await
}

/// Saves the changed columns of `row` and returns the row as stored.
pub async fn update<A>(db: &impl ConnectionTrait, row: A) -> Result<ModelOf<A>, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A>,
{
    row.update(db).await
}

/// Deletes the row `id` of `E` (rows that reference it go by the foreign
/// keys' cascade); whether there was one.
pub async fn delete<E>(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i32>,
{
    Ok(E::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

/// The model an active model saves.
pub type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// The user who signs in with `login` (a username, or an e-mail when it holds
/// an `@`), compared case-insensitively, with the password hash: the one read
/// that sees it.
pub async fn find_login(
    db: &impl ConnectionTrait,
    login: &str,
) -> Result<Option<user::Model>, DbErr> {
    // Both columns compare byte for byte on every backend: a username is
    // stored lowercase, and an e-mail is found by its key, which a login
    // already is (`validate::login` normalises as `user::email_key` does).
    let column = if login.contains('@') {
        user::Column::EmailKey
    } else {
        user::Column::Username
    };
    user::Entity::find()
        .filter(column.eq(user::email_key(login)))
        .one(db)
        .await
}

/// The ids of the users who have the username `username` and the e-mail
/// whose key is `email_key`, if any: who a `register` for them would
/// collide with. One statement.
pub async fn find_owners(
    db: &impl ConnectionTrait,
    username: &str,
    email_key: &str,
) -> Result<(Option<i32>, Option<i32>), DbErr> {
    let owners = user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Username.eq(username))
                .add(user::Column::EmailKey.eq(email_key)),
        )
        .all(db)
        .await?;
    let owner =
        |matches: &dyn Fn(&user::Model) -> bool| owners.iter().find(|u| matches(u)).map(|u| u.id);
    Ok((
        owner(&|u| u.username == username),
        owner(&|u| u.email_key == email_key),
    ))
}

/// The fields of a profile to set; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    /// The name shown for the user.
    pub display_name: Option<String>,
    /// The bio.
    pub bio: Option<String>,
    /// The avatar's address; `Some(None)` removes it.
    pub avatar_url: Option<Option<String>>,
}

/// Creates the profile of `user_id` (unset fields: `default_name` and an
/// empty bio) or changes the given fields of the existing one, in one atomic
/// upsert: two first-time calls racing both succeed, on every backend.
pub async fn upsert_profile(
    db: &impl ConnectionTrait,
    user_id: i32,
    default_name: String,
    changes: ProfileChanges,
) -> Result<profile::Model, DbErr> {
    let mut changed = vec![profile::Column::UpdatedAt];
    if changes.display_name.is_some() {
        changed.push(profile::Column::DisplayName);
    }
    if changes.bio.is_some() {
        changed.push(profile::Column::Bio);
    }
    if changes.avatar_url.is_some() {
        changed.push(profile::Column::AvatarUrl);
    }
    let now = entity::timestamp::now();
    profile::Entity::insert(profile::ActiveModel {
        user_id: Set(user_id),
        display_name: Set(changes.display_name.unwrap_or(default_name)),
        bio: Set(changes.bio.unwrap_or_default()),
        avatar_url: Set(changes.avatar_url.flatten()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(profile::Column::UserId)
            .update_columns(changed)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    profile::Entity::find()
        .filter(profile::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the upserted profile".into()))
}

/// Inserts `post`, with its `post_created` event: all or nothing.
pub async fn create_post(
    db: &DatabaseConnection,
    post: post::ActiveModel,
) -> Result<post::Model, DbErr> {
    let txn = db.begin().await?;
    let created = post.insert(&txn).await?;
    let change = Change::PostCreated {
        post_id: created.id,
        author_id: created.author_id,
    };
    outbox::append(&txn, &[change]).await?;
    txn.commit().await?;
    Ok(created)
}

/// Inserts `photo` and links it to the tags `names` (normalized), creating
/// missing tags, with its `photo_created` event and one `photo_tagged` per
/// tag: all or nothing.
pub async fn create_photo(
    db: &DatabaseConnection,
    photo: photo::ActiveModel,
    names: &[String],
) -> Result<photo::Model, DbErr> {
    let txn = db.begin().await?;
    let created = create_photo_in(&txn, photo, names).await?;
    txn.commit().await?;
    Ok(created)
}

/// [`create_photo`] within the caller's transaction `txn` (one that also
/// holds the photo's image): it commits, or not, with the rest.
pub async fn create_photo_in(
    txn: &DatabaseTransaction,
    photo: photo::ActiveModel,
    names: &[String],
) -> Result<photo::Model, DbErr> {
    let created = photo.insert(txn).await?;
    let tagged = attach_tags(txn, &created, names).await?;
    let created_event = Change::PhotoCreated {
        photo_id: created.id,
        owner_id: created.owner_id,
    };
    let changes: Vec<Change> = std::iter::once(created_event).chain(tagged).collect();
    outbox::append(txn, &changes).await?;
    Ok(created)
}

/// Links photo `photo_id` to the tags `names` (normalized), creating missing
/// tags, with a `photo_tagged` event for each link made; links that exist
/// already stay as they are, and emit nothing. All or nothing.
pub async fn tag_photo(
    db: &DatabaseConnection,
    photo: &photo::Model,
    names: &[String],
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let tagged = attach_tags(&txn, photo, names).await?;
    outbox::append(&txn, &tagged).await?;
    txn.commit().await
}

/// Unlinks photo `photo_id` from the tags `names` (normalized); names it does
/// not carry are ignored, and the tags themselves stay.
pub async fn untag_photo(
    db: &impl ConnectionTrait,
    photo_id: i32,
    names: &[String],
) -> Result<(), DbErr> {
    if names.is_empty() {
        return Ok(());
    }
    let tag_ids = tag_ids(db, names).await?;
    photo_tag::Entity::delete_many()
        .filter(photo_tag::Column::PhotoId.eq(photo_id))
        .filter(photo_tag::Column::TagId.is_in(tag_ids))
        .exec(db)
        .await?;
    Ok(())
}

/// Creates the missing tags of `names` and links them to `photo_id`; the
/// `photo_tagged` changes of the links made. Runs inside the caller's
/// transaction, in at most four statements whatever the number of tags:
///
/// 1. which of the tags exist, and which of those the photo carries;
/// 2. only if some are missing: insert those (`ON CONFLICT DO NOTHING`
///    still guards a concurrent writer creating the same tag), and
/// 3. read their ids;
/// 4. only if some are not linked yet: insert the links (`ON CONFLICT DO
///    NOTHING` again).
///
/// Tags that exist are not inserted again: an upsert that conflicts still
/// takes a value from PostgreSQL's sequence (and MariaDB's auto-increment),
/// so a repeated `tagPhoto` would burn ids on every call.
async fn attach_tags(
    db: &impl ConnectionTrait,
    photo: &photo::Model,
    names: &[String],
) -> Result<Vec<Change>, DbErr> {
    let photo_id = photo.id;
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<(i32, String, Option<i32>)> = tag::Entity::find()
        .select_only()
        .column(tag::Column::Id)
        .column(tag::Column::Name)
        .column_as(photo_tag::Column::TagId, "linked")
        .join(
            JoinType::LeftJoin,
            tag::Relation::PhotoTags.def().on_condition(move |_, link| {
                Condition::all().add(Expr::col((link, photo_tag::Column::PhotoId)).eq(photo_id))
            }),
        )
        .filter(tag::Column::Name.is_in(names.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    let mut missing: Vec<String> = names
        .iter()
        .filter(|name| !found.iter().any(|(_, known, _)| known == *name))
        .cloned()
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let mut to_link: Vec<i32> = found
        .iter()
        .filter(|(_, _, linked)| linked.is_none())
        .map(|(id, ..)| *id)
        .collect();
    let now = entity::timestamp::now();
    if !missing.is_empty() {
        tag::Entity::insert_many(missing.iter().map(|name| tag::ActiveModel {
            name: Set(name.clone()),
            created_at: Set(now),
            ..Default::default()
        }))
        .on_conflict_do_nothing_on([tag::Column::Name])
        .exec_without_returning(db)
        .await?;
        let created = tag_ids(db, &missing).await?;
        to_link.extend(
            created
                .into_iter()
                .filter(|id| !found.iter().any(|(known, ..)| known == id)),
        );
    }
    if to_link.is_empty() {
        return Ok(Vec::new());
    }
    photo_tag::Entity::insert_many(to_link.iter().map(|&tag_id| photo_tag::ActiveModel {
        photo_id: Set(photo_id),
        tag_id: Set(tag_id),
        created_at: Set(now),
        photo_created_at: Set(Some(photo.created_at)),
    }))
    .on_conflict_do_nothing_on([photo_tag::Column::PhotoId, photo_tag::Column::TagId])
    .exec_without_returning(db)
    .await?;
    Ok(to_link
        .into_iter()
        .map(|tag_id| Change::PhotoTagged { photo_id, tag_id })
        .collect())
}

/// The ids of the tags named `names` (normalized) that exist.
async fn tag_ids(db: &impl ConnectionTrait, names: &[String]) -> Result<Vec<i32>, DbErr> {
    Ok(tag::Entity::find()
        .filter(tag::Column::Name.is_in(names.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect())
}

/// The image (hash and media type) of each photo of `owner_id` that has
/// one: what to release once the owner's account is deleted.
pub async fn images_of_owner(
    db: &impl ConnectionTrait,
    owner_id: i32,
) -> Result<Vec<(String, String)>, DbErr> {
    let images: Vec<(Option<String>, Option<String>)> = photo::Entity::find()
        .select_only()
        .column(photo::Column::Sha256)
        .column(photo::Column::ContentType)
        .filter(photo::Column::OwnerId.eq(owner_id))
        .filter(photo::Column::Sha256.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(images
        .into_iter()
        .filter_map(|(hash, content_type)| Some((hash?, content_type?)))
        .collect())
}
