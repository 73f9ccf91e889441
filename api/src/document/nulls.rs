//! Errors in fields null what the GraphQL spec says they null.
//!
//! async-graphql 7 answers a field that raised an error by leaving its key
//! out of the parent object, whatever the field's type, so a client gets an
//! object without a field it selected. The spec ("Handling Field Errors")
//! asks for the field's value to be null, and, when the field is non-null,
//! for the null to spread to its parent, up to the nearest position that may
//! be null (the whole `data` when none may). This module does that to a
//! finished response, from the field types the schema declares (read from
//! its SDL: this toolkit knows no schema code) and the document's selection
//! sets, which say what field each response key of an error's path is.

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, OperationType, Selection, SelectionSet, Type,
};
use async_graphql::{Name, PathSegment, Response, Value};

use super::types::{Concrete, SchemaTypes, Step};

/// Nulls, in `response`'s data, what each of its field errors nulls: the
/// errored field if it may be null, else its nearest ancestor that may, else
/// the whole data. `document`'s operation `operation_name` ran, from the
/// root type of its kind.
pub fn propagate_nulls(
    response: &mut Response,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    types: &SchemaTypes,
    concrete: &Concrete,
) {
    let Some(operation) = super::operation_to_run(document, operation_name) else {
        return;
    };
    let root = match operation.ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    };
    for error in &response.errors {
        if !matches!(error.path.last(), Some(PathSegment::Field(_))) {
            continue;
        }
        let Some(nullable) = nullability(
            &error.path,
            root,
            &operation.selection_set.node,
            document,
            (types, concrete),
        ) else {
            continue;
        };
        match nullable.iter().rposition(|&may_be_null| may_be_null) {
            Some(position) => set_null(&mut response.data, &error.path[..=position]),
            None => response.data = Value::Null,
        }
    }
}

/// Whether each position along `path` may be null: one flag per segment.
fn nullability(
    path: &[PathSegment],
    root: &str,
    set: &SelectionSet,
    document: &ExecutableDocument,
    (types, concrete): (&SchemaTypes, &Concrete),
) -> Option<Vec<bool>> {
    let mut flags = Vec::with_capacity(path.len());
    let mut owner = root.to_owned();
    let mut set = set;
    let mut current: Option<&Type> = None;
    let steps: Vec<Step> = if concrete.is_empty() {
        Vec::new()
    } else {
        path.iter().map(Step::from).collect()
    };
    for (depth, segment) in path.iter().enumerate() {
        match segment {
            PathSegment::Field(key) => {
                // Where the schema says an interface, the object's own type.
                let object = steps
                    .get(..depth)
                    .and_then(|steps| concrete.get(steps))
                    .copied();
                if let Some(object) = object {
                    object.clone_into(&mut owner);
                }
                let within = Within {
                    document,
                    types,
                    object,
                };
                let (field, on) = find(set, key, None, &within)?;
                let owner_type = on.map_or(owner.as_str(), Name::as_str);
                let ty = types
                    .field(owner_type, field.name.node.as_str())
                    .or_else(|| types.field(&owner, field.name.node.as_str()))?;
                flags.push(ty.nullable);
                owner = named(ty).to_owned();
                set = &field.selection_set.node;
                current = Some(ty);
            }
            PathSegment::Index(_) => {
                let BaseType::List(item) = &current?.base else {
                    return None;
                };
                flags.push(item.nullable);
                current = Some(item);
            }
        }
    }
    Some(flags)
}

/// The named type at the bottom of `ty`'s lists.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// The document a selection is read in, and the concrete type of the object
/// it selects from where a resolver said it: fragments on another type
/// select nothing there. Elsewhere the position's type is the one the schema
/// declares, to which every fragment a valid document spreads applies.
struct Within<'a> {
    document: &'a ExecutableDocument,
    types: &'a SchemaTypes,
    object: Option<&'a str>,
}

impl Within<'_> {
    fn applies(&self, condition: &Name) -> bool {
        self.object
            .is_none_or(|object| self.types.applies(condition.as_str(), object))
    }
}

/// The field of `set` whose response key is `key`, fragments spread, with
/// the type condition it was selected under.
fn find<'a>(
    set: &'a SelectionSet,
    key: &str,
    on: Option<&'a Name>,
    within: &Within<'a>,
) -> Option<(&'a Field, Option<&'a Name>)> {
    for selection in &set.items {
        let found = match &selection.node {
            Selection::Field(field) => {
                (field.node.response_key().node.as_str() == key).then_some((&field.node, on))
            }
            Selection::FragmentSpread(spread) => {
                let fragment = within
                    .document
                    .fragments
                    .get(&spread.node.fragment_name.node)?;
                let condition = &fragment.node.type_condition.node.on.node;
                if !within.applies(condition) {
                    continue;
                }
                find(
                    &fragment.node.selection_set.node,
                    key,
                    Some(condition),
                    within,
                )
            }
            Selection::InlineFragment(inline) => {
                let condition = inline
                    .node
                    .type_condition
                    .as_ref()
                    .map(|condition| &condition.node.on.node);
                if condition.is_some_and(|condition| !within.applies(condition)) {
                    continue;
                }
                find(
                    &inline.node.selection_set.node,
                    key,
                    condition.or(on),
                    within,
                )
            }
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Sets the value at `path` in `data` to null, adding the key to its
/// object if it was left out; nothing if an ancestor is already null.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut value = data;
    for segment in parents {
        value = match (segment, value) {
            (PathSegment::Field(key), Value::Object(object)) => {
                match object.get_mut(key.as_str()) {
                    Some(child) => child,
                    None => return,
                }
            }
            (PathSegment::Index(i), Value::List(items)) => match items.get_mut(*i) {
                Some(child) => child,
                None => return,
            },
            _ => return,
        };
    }
    match (last, value) {
        (PathSegment::Field(key), Value::Object(object)) => {
            object.insert(Name::new(key), Value::Null);
        }
        (PathSegment::Index(i), Value::List(items)) => {
            if let Some(item) = items.get_mut(*i) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = "
        type Query { user(name: String): User users: UserList! }
        type UserList { nodes: [User!]! }
        type User { name: String! nick: String posts: PostList! }
        type PostList { nodes: [Post] }
        type Post { title: String! }
    ";

    /// `data` after an error at `path` in `query`.
    fn after(query: &str, data: serde_json::Value, path: &[&str]) -> serde_json::Value {
        let document = async_graphql::parser::parse_query(query).unwrap_or_else(|e| panic!("{e}"));
        let mut error = async_graphql::ServerError::new("failed", None);
        error.path = path
            .iter()
            .map(|segment| match segment.parse::<usize>() {
                Ok(i) => PathSegment::Index(i),
                Err(_) => PathSegment::Field((*segment).to_owned()),
            })
            .collect();
        let mut response = Response::new(Value::from_json(data).unwrap_or_default());
        response.errors.push(error);
        let types = SchemaTypes::from_sdl(SDL);
        propagate_nulls(&mut response, &document, None, &types, &Concrete::new());
        response.data.into_json().unwrap_or_default()
    }

    #[test]
    fn a_nullable_field_that_failed_is_null() {
        let data = after(
            "{ user { name nick } }",
            serde_json::json!({ "user": { "name": "a" } }),
            &["user", "nick"],
        );
        assert_eq!(
            data,
            serde_json::json!({ "user": { "name": "a", "nick": null } })
        );
    }

    #[test]
    fn a_non_null_field_that_failed_nulls_its_nearest_nullable_parent() {
        let data = after(
            "{ u: user { name posts { nodes { title } } } }",
            serde_json::json!({ "u": { "name": "a" } }),
            &["u", "posts"],
        );
        assert_eq!(data, serde_json::json!({ "u": null }));
        // Inside a list of nullable items, the item.
        let data = after(
            "{ user { posts { nodes { ... on Post { title } } } } }",
            serde_json::json!({ "user": { "posts": { "nodes": [{ "title": "t" }, {}] } } }),
            &["user", "posts", "nodes", "1", "title"],
        );
        assert_eq!(
            data,
            serde_json::json!({ "user": { "posts": { "nodes": [{ "title": "t" }, null] } } })
        );
    }

    #[test]
    fn a_null_with_no_nullable_parent_nulls_the_data() {
        let data = after(
            "fragment F on User { posts { nodes { title } } } { users { nodes { name ...F } } }",
            serde_json::json!({ "users": { "nodes": [{ "name": "a" }] } }),
            &["users", "nodes", "0", "posts"],
        );
        assert_eq!(data, serde_json::Value::Null);
    }
}
