//! Puts a response's fields in the order the query selected them.
//!
//! The GraphQL spec orders a response object's keys as the selection set
//! lists them; async-graphql 7 inserts each field as it finishes resolving,
//! so concurrent fields land in completion order. This module re-orders the
//! `data` of a finished response by the operation's selection sets (fragments
//! inlined in place), read from the document the handler parsed for the
//! executor. It changes no value and adds or drops no key.
//!
//! The order of each position in the response is worked out once, when the
//! first object there is met, and reused for every item of a list; an
//! object whose keys are already in order is left as it is.

use std::cell::OnceCell;
use std::collections::HashMap;

use async_graphql::Value;
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};

/// Re-orders `data` by the selection sets of the operation of `document`
/// that ran ([`super::operation_to_run`]). Leaves `data` as it is if
/// no operation ran.
pub fn order_response(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) {
    if let Some(operation) = super::operation_to_run(document, operation_name) {
        let plan = Plan::new(vec![&operation.selection_set.node]);
        order_value(data, &plan, document);
    }
}

/// The order of the keys at one position of the response: the selection
/// sets merged there, and, once an object there is met, its keys in order,
/// each with the plan of the position below it.
struct Plan<'a> {
    sets: Vec<&'a SelectionSet>,
    keys: OnceCell<Vec<(&'a Name, Plan<'a>)>>,
}

impl<'a> Plan<'a> {
    fn new(sets: Vec<&'a SelectionSet>) -> Plan<'a> {
        Plan {
            sets,
            keys: OnceCell::new(),
        }
    }

    fn keys(&self, document: &'a ExecutableDocument) -> &[(&'a Name, Plan<'a>)] {
        self.keys.get_or_init(|| {
            keys(&self.sets, document)
                .into_iter()
                .map(|(name, subs)| (name, Plan::new(subs)))
                .collect()
        })
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

fn order_value<'a>(value: &mut Value, plan: &Plan<'a>, document: &'a ExecutableDocument) {
    match value {
        Value::List(items) => {
            for item in items {
                order_value(item, plan, document);
            }
        }
        Value::Object(map) => {
            let keys = plan.keys(document);
            let in_order = map.len() <= keys.len()
                && keys
                    .iter()
                    .filter(|(key, _)| map.contains_key(*key))
                    .zip(map.keys())
                    .all(|((wanted, _), present)| *wanted == present);
            if !in_order {
                let mut ordered = async_graphql::indexmap::IndexMap::with_capacity(map.len());
                for (key, _) in keys {
                    if let Some(child) = map.swap_remove(*key) {
                        ordered.insert((*key).clone(), child);
                    }
                }
                // Anything not named by the query (none expected) goes at the end.
                ordered.extend(std::mem::take(map));
                *map = ordered;
            }
            for (key, child_plan) in keys {
                if let Some(child) = map.get_mut(*key) {
                    order_value(child, child_plan, document);
                }
            }
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
