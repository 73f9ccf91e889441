//! The arguments of each list: which rows (`…Filter`) and in which order
//! (`…Order`), one file per object type. They stand apart from the objects
//! so that both ends of a relation can name the other end's list arguments
//! (`Tag.photos` takes the photos' filter, `Photo.tags` is ordered by the
//! tags' name) without the two objects importing each other.

pub mod comment;
pub mod photo;
pub mod post;
pub mod tag;
pub mod user;
