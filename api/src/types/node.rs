//! Global object identification: the opaque `ID` of every object, and back.
//!
//! A global id is the base64url (unpadded) of `Type:databaseId`, for example
//! `User:42`. Clients treat it as opaque; the server decodes it to find the
//! type and the row. This module only encodes and decodes: the node types
//! are listed beside it (`types/mod.rs`), and fetching the
//! object behind an id is the loaders' job.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

pub use super::NodeType;

/// The global id of the row `id` of type `node_type`.
pub fn encode_id(node_type: NodeType, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", node_type.name())))
}

/// Decodes a global id of any type. `field` names the argument, for the error.
pub fn decode_id(id: &ID, field: &str) -> Result<(NodeType, i32), ApiError> {
    let invalid = || ApiError::bad_input(field, format!("`{}` is not a valid id", id.as_str()));
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (type_name, row) = text.split_once(':').ok_or_else(invalid)?;
    let node_type = NodeType::ALL
        .iter()
        .copied()
        .find(|t| t.name() == type_name)
        .ok_or_else(invalid)?;
    let row: i32 = row.parse().map_err(|_| invalid())?;
    if row <= 0 {
        return Err(invalid());
    }
    Ok((node_type, row))
}

/// Decodes a global id that must be of type `expected`.
pub fn decode_id_of(id: &ID, expected: NodeType, field: &str) -> Result<i32, ApiError> {
    match decode_id(id, field)? {
        (node_type, row) if node_type == expected => Ok(row),
        (node_type, _) => Err(ApiError::bad_input(
            field,
            format!(
                "expected the id of a {}, got the id of a {}",
                expected.name(),
                node_type.name()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_opaque() {
        let id = encode_id(NodeType::Photo, 42);
        assert!(!id.as_str().contains("42"), "{}", id.as_str());
        assert_eq!(decode_id(&id, "id").ok(), Some((NodeType::Photo, 42)));
        assert_eq!(decode_id_of(&id, NodeType::Photo, "id").ok(), Some(42));
    }

    #[test]
    fn malformed_ids_are_bad_user_input() {
        for raw in ["", "!!", "VXNlcg", "VXNlcjp4", "Qm9vazox", "VXNlcjotMQ"] {
            let err = decode_id(&ID(raw.to_owned()), "id").expect_err(raw);
            assert_eq!(err.code(), "BAD_USER_INPUT", "{raw}");
        }
    }

    #[test]
    fn an_id_of_another_type_is_refused() {
        let id = encode_id(NodeType::User, 1);
        let err = decode_id_of(&id, NodeType::Post, "postId").expect_err("wrong type");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(err.to_string().contains("Post"));
    }
}
