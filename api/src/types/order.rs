//! Orderings: the direction enum, and the macro with which each list type
//! declares the fields it can be ordered by (next to the type, in its file).

use async_graphql::Enum;

pub use crate::paging::OrderInput;

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
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $field {
            $( $(#[$vdoc])* $variant, )+
        }

        impl $crate::paging::SortKey<$entity::Entity> for $field {
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
        #[derive(async_graphql::InputObject, Debug, Clone, Copy)]
        pub struct $input {
            /// The field to order by; ties are broken by creation order.
            pub field: $field,
            /// The direction.
            #[graphql(default)]
            pub direction: $crate::types::order::OrderDirection,
        }

        impl $crate::types::OrderInput for $input {
            type Key = $field;

            fn sort(input: Option<$input>) -> $crate::paging::Sort<$field> {
                use $crate::types::order::OrderDirection;
                match input {
                    Some(order) => $crate::paging::Sort {
                        key: order.field,
                        descending: order.direction == OrderDirection::Desc,
                    },
                    None => $crate::paging::Sort {
                        key: $field::$default,
                        descending: OrderDirection::$default_dir == OrderDirection::Desc,
                    },
                }
            }
        }
    };
}

pub(crate) use order_by;
