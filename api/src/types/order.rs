//! The orderings clients can ask for, one enum of fields per list type.

use async_graphql::{Enum, InputObject};
use entity::{photo, post, tag, user};

use crate::paging::{Sort, SortKey};

/// A sort direction.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OrderDirection {
    /// Smallest, earliest or alphabetically first first.
    Asc,
    /// Largest, latest or alphabetically last first.
    #[default]
    Desc,
}

/// Declares a GraphQL order-field enum, its input object and its sort key.
/// Each arm: `Variant => column, "cursor name"`; ties are always broken by id.
macro_rules! order_by {
    (
        $(#[$doc:meta])* $field:ident, $(#[$input_doc:meta])* $input:ident,
        $entity:ident, default $default:ident $default_dir:ident,
        { $( $(#[$vdoc:meta])* $variant:ident => $column:ident, $name:literal ),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $field {
            $( $(#[$vdoc])* $variant, )+
        }

        impl SortKey<$entity::Entity> for $field {
            fn column(self) -> $entity::Column {
                match self {
                    $( $field::$variant => $entity::Column::$column, )+
                }
            }
            fn name(self) -> &'static str {
                match self {
                    $( $field::$variant => $name, )+
                }
            }
        }

        $(#[$input_doc])*
        #[derive(InputObject, Debug, Clone, Copy)]
        pub struct $input {
            /// The field to order by; ties are broken by creation order.
            pub field: $field,
            /// The direction.
            #[graphql(default)]
            pub direction: OrderDirection,
        }

        impl $input {
            /// The sort this input asks for, or the list's default.
            pub fn sort(input: Option<$input>) -> Sort<$field> {
                match input {
                    Some(order) => Sort {
                        key: order.field,
                        descending: order.direction == OrderDirection::Desc,
                    },
                    None => Sort {
                        key: $field::$default,
                        descending: OrderDirection::$default_dir == OrderDirection::Desc,
                    },
                }
            }
        }
    };
}

order_by!(
    /// The fields posts can be ordered by.
    PostOrderField,
    /// How to order posts (default: newest first).
    PostOrder,
    post, default CreatedAt Desc,
    {
        /// When the post was written.
        CreatedAt => CreatedAt, "created_at",
        /// When the post was last changed.
        UpdatedAt => UpdatedAt, "updated_at",
        /// The title, alphabetically.
        Title => Title, "title",
    }
);

order_by!(
    /// The fields photos can be ordered by.
    PhotoOrderField,
    /// How to order photos (default: newest first).
    PhotoOrder,
    photo, default CreatedAt Desc,
    {
        /// When the photo was published.
        CreatedAt => CreatedAt, "created_at",
        /// When the photo was last changed.
        UpdatedAt => UpdatedAt, "updated_at",
        /// The file name, alphabetically.
        Filename => Filename, "filename",
    }
);

order_by!(
    /// The fields users can be ordered by.
    UserOrderField,
    /// How to order users (default: oldest account first).
    UserOrder,
    user, default CreatedAt Asc,
    {
        /// When the user registered.
        CreatedAt => CreatedAt, "created_at",
        /// The username, alphabetically.
        Username => Username, "username",
    }
);

order_by!(
    /// The fields tags can be ordered by.
    TagOrderField,
    /// How to order tags (default: by name).
    TagOrder,
    tag, default Name Asc,
    {
        /// The name, alphabetically.
        Name => Name, "name",
        /// When the tag was first used.
        CreatedAt => CreatedAt, "created_at",
    }
);
