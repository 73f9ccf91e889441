//! The arguments of a list of users: which (UserFilter) and in which
//! order (UserOrder).

use async_graphql::InputObject;
use entity::user;

use crate::error::{ApiResult, IntoGraphql};
use crate::filter::UserFilter;
use crate::types::FilterInput;
use crate::types::order::order_by;

/// Which users to list.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "UserFilter")]
pub struct UserFilterInput {
    /// Only users whose username starts with this.
    pub username_prefix: Option<String>,
}

impl FilterInput for UserFilterInput {
    type Filter = UserFilter;

    fn resolve(input: Option<UserFilterInput>) -> ApiResult<UserFilter> {
        let input = input.unwrap_or_default();
        Ok(UserFilter {
            username_prefix: input
                .username_prefix
                .as_deref()
                .map(|prefix| {
                    crate::validate::filter_text(
                        "filter.usernamePrefix",
                        prefix,
                        entity::limits::USERNAME,
                    )
                })
                .transpose()
                .gql()?,
        })
    }
}

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
