//! Puts a response's fields in the order the query selected them.
//!
//! The GraphQL spec orders a response object's keys as the selection set
//! lists them; async-graphql 7 inserts each field as it finishes resolving,
//! so concurrent fields land in completion order. This module re-orders the
//! `data` of a finished response by the operation's selection sets (fragments
//! inlined in place), read from the document the handler parsed for the
//! executor. It changes no value and adds or drops no key.

use async_graphql::Value;
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};
use std::collections::HashMap;

/// Re-orders `data` by the selection sets of the operation of `document`
/// that ran ([`crate::schema::operation_to_run`]). Leaves `data` as it is if
/// no operation ran.
pub fn order_response(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) {
    if let Some(operation) = crate::schema::operation_to_run(document, operation_name) {
        let sets = vec![&operation.selection_set.node];
        order_value(data, &sets, document);
    }
}

/// The response keys the selection sets name, in first-appearance order, each
/// with the sub-selections selected under it.
fn keys<'a>(
    sets: &[&'a SelectionSet],
    document: &'a ExecutableDocument,
) -> Vec<(&'a Name, Vec<&'a SelectionSet>)> {
    let mut ordered: Vec<(&Name, Vec<&SelectionSet>)> = Vec::new();
    let mut index: HashMap<&Name, usize> = HashMap::new();
    let mut stack: Vec<&SelectionSet> = sets.iter().rev().copied().collect();
    // Depth-first, in document order, so fragments' fields appear where spread.
    let mut pending: Vec<&Positioned<Selection>> = Vec::new();
    while let Some(set) = stack.pop() {
        pending.extend(set.items.iter().rev());
        while let Some(item) = pending.pop() {
            match &item.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    let sub = &field.node.selection_set.node;
                    match index.get(key) {
                        Some(&i) => ordered[i].1.push(sub),
                        None => {
                            index.insert(key, ordered.len());
                            ordered.push((key, vec![sub]));
                        }
                    }
                }
                Selection::InlineFragment(fragment) => {
                    pending.extend(fragment.node.selection_set.node.items.iter().rev());
                }
                Selection::FragmentSpread(spread) => {
                    let definition: Option<&Positioned<FragmentDefinition>> =
                        document.fragments.get(&spread.node.fragment_name.node);
                    if let Some(definition) = definition {
                        pending.extend(definition.node.selection_set.node.items.iter().rev());
                    }
                }
            }
        }
    }
    ordered
}

fn order_value(value: &mut Value, sets: &[&SelectionSet], document: &ExecutableDocument) {
    match value {
        Value::List(items) => {
            for item in items {
                order_value(item, sets, document);
            }
        }
        Value::Object(map) => {
            let mut ordered = async_graphql::indexmap::IndexMap::with_capacity(map.len());
            for (key, subs) in keys(sets, document) {
                if let Some(mut child) = map.shift_remove(key) {
                    order_value(&mut child, &subs, document);
                    ordered.insert(key.clone(), child);
                }
            }
            // Anything not named by the query (none expected) keeps its place at the end.
            ordered.extend(std::mem::take(map));
            *map = ordered;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_query_through_aliases_and_fragments() {
        let query = "query Q { b: users { nodes { ...F z } } a: tags { totalCount } }
                     fragment F on User { y x }";
        let mut data = async_graphql::value!({
            "a": { "totalCount": 1 },
            "b": { "nodes": [ { "x": 1, "z": 3, "y": 2 } ] },
        });
        let document = async_graphql::parser::parse_query(query).expect("the query parses");
        order_response(&mut data, &document, None);
        let text = serde_json::to_string(&data).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"b":{"nodes":[{"y":2,"x":1,"z":3}]},"a":{"totalCount":1}}"#
        );
    }
}
