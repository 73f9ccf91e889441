//! Folio's tables as sea-orm entities, and the relations between them.
//!
//! One module per table: its `Model`, its `Relation` enum, the `Related` impls
//! that make every relation usable from both ends, and the `ActiveModelBehavior`
//! that keeps the timestamps. Nothing else lives here: no queries, no
//! validation, no GraphQL. The doc comments on models and columns are the
//! descriptions the GraphQL schema shows.

pub mod comment;
pub mod event;
pub mod events_head;
pub mod image_lock;
pub mod limits;
pub mod photo;
pub mod photo_tag;
pub mod post;
pub mod profile;
pub mod tag;
pub mod timestamp;
pub mod user;

/// The entities under short names: `use entity::prelude::*;` then `User::find()`.
pub mod prelude {
    pub use crate::comment::Entity as Comment;
    pub use crate::event::Entity as Event;
    pub use crate::photo::Entity as Photo;
    pub use crate::photo_tag::Entity as PhotoTag;
    pub use crate::post::Entity as Post;
    pub use crate::profile::Entity as Profile;
    pub use crate::tag::Entity as Tag;
    pub use crate::user::Entity as User;
}
