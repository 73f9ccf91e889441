//! The caller of a request: who they are, if anyone.
//!
//! The HTTP handler attaches a `Viewer` to every GraphQL request; resolvers
//! and privacy rules read it. Establishing who the viewer is (tokens,
//! passwords) is not this module's concern.

/// Who is asking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewer {
    /// The signed-in user's id, or `None` for an anonymous caller.
    pub user_id: Option<i32>,
}

impl Viewer {
    /// An anonymous caller.
    pub fn anonymous() -> Viewer {
        Viewer { user_id: None }
    }

    /// Whether the caller is the user `user_id`.
    pub fn is(&self, user_id: i32) -> bool {
        self.user_id == Some(user_id)
    }
}
