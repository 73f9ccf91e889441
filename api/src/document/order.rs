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
//! object whose keys are already in order is left as it is. Where a resolver
//! recorded an object's concrete type (an item of `nodes(ids:)`), the
//! order is that of the selections that apply to its type, worked out once
//! per type at that position.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value};

use super::types::{Concrete, SchemaTypes, Step};

/// Re-orders `data` by the selection sets of the operation of `document`
/// that ran ([`super::operation_to_run`]). Leaves `data` as it is if
/// no operation ran. An object `concrete` gives a type (an item of
/// `nodes(ids:)`) follows the selections that apply to its type alone.
pub fn order_response(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    types: &SchemaTypes,
    concrete: &Concrete,
) {
    if let Some(operation) = super::operation_to_run(document, operation_name) {
        let plan = Plan::new(vec![&operation.selection_set.node]);
        let walk = Walk {
            document,
            types,
            concrete,
        };
        // The path is followed only when some position has a type to look up.
        let mut path = (!concrete.is_empty()).then(Vec::new);
        order_value(data, &plan, &walk, &mut path);
    }
}

/// What ordering reads besides the response.
struct Walk<'a> {
    document: &'a ExecutableDocument,
    types: &'a SchemaTypes,
    concrete: &'a Concrete,
}

/// The keys of one position in order, each with the plan of the position
/// below it.
type Keys<'a> = Vec<(&'a Name, Plan<'a>)>;

/// The order of the keys at one position of the response: the selection
/// sets merged there, and, once an object there is met, its keys in order,
/// each with the plan of the position below it; for objects of a concrete
/// type, the keys of the selections that apply to it, by type.
struct Plan<'a> {
    sets: Vec<&'a SelectionSet>,
    keys: OnceCell<Keys<'a>>,
    typed: RefCell<Vec<(&'static str, Rc<Keys<'a>>)>>,
}

impl<'a> Plan<'a> {
    fn new(sets: Vec<&'a SelectionSet>) -> Plan<'a> {
        Plan {
            sets,
            keys: OnceCell::new(),
            typed: RefCell::default(),
        }
    }

    fn keys(&self, walk: &Walk<'a>) -> &Keys<'a> {
        self.keys
            .get_or_init(|| plans(keys(&self.sets, walk.document, None)))
    }

    fn typed_keys(&self, walk: &Walk<'a>, object: &'static str) -> Rc<Keys<'a>> {
        if let Some((_, keys)) = self.typed.borrow().iter().find(|(ty, _)| *ty == object) {
            return keys.clone();
        }
        let keys = Rc::new(plans(keys(
            &self.sets,
            walk.document,
            Some((walk.types, object)),
        )));
        self.typed.borrow_mut().push((object, keys.clone()));
        keys
    }
}

fn plans<'a>(keys: Vec<(&'a Name, Vec<&'a SelectionSet>)>) -> Keys<'a> {
    keys.into_iter()
        .map(|(name, subs)| (name, Plan::new(subs)))
        .collect()
}

/// The response keys the selection sets name, in first-appearance order, each
/// with the sub-selections selected under it; with an object's type, only
/// those of the fragments that apply to it.
fn keys<'a>(
    sets: &[&'a SelectionSet],
    document: &'a ExecutableDocument,
    object: Option<(&SchemaTypes, &str)>,
) -> Vec<(&'a Name, Vec<&'a SelectionSet>)> {
    let applies = |condition: &Name| {
        object.is_none_or(|(types, object)| types.applies(condition.as_str(), object))
    };
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
                    let condition = fragment.node.type_condition.as_ref();
                    if condition.is_none_or(|condition| applies(&condition.node.on.node)) {
                        pending.extend(fragment.node.selection_set.node.items.iter().rev());
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let definition: Option<&Positioned<FragmentDefinition>> =
                        document.fragments.get(&spread.node.fragment_name.node);
                    if let Some(definition) = definition
                        && applies(&definition.node.type_condition.node.on.node)
                    {
                        pending.extend(definition.node.selection_set.node.items.iter().rev());
                    }
                }
            }
        }
    }
    ordered
}

fn order_value<'a>(
    value: &mut Value,
    plan: &Plan<'a>,
    walk: &Walk<'a>,
    path: &mut Option<Vec<Step>>,
) {
    match value {
        Value::List(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                within(path, Step::Index(i), |path| {
                    order_value(item, plan, walk, path);
                });
            }
        }
        Value::Object(map) => {
            let object: Option<&'static str> = path
                .as_ref()
                .and_then(|path| walk.concrete.get(path).copied());
            let typed;
            let keys = match object {
                Some(object) => {
                    typed = plan.typed_keys(walk, object);
                    &*typed
                }
                None => plan.keys(walk),
            };
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
                    within(path, Step::Key(key.to_string()), |path| {
                        order_value(child, child_plan, walk, path);
                    });
                }
            }
        }
        _ => {}
    }
}

/// Runs `f` one `segment` further down `path`, when the path is followed.
fn within(path: &mut Option<Vec<Step>>, segment: Step, f: impl FnOnce(&mut Option<Vec<Step>>)) {
    if let Some(path) = path {
        path.push(segment);
    }
    f(path);
    if let Some(path) = path {
        path.pop();
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
        order_response(
            &mut data,
            &document,
            None,
            &SchemaTypes::default(),
            &Concrete::new(),
        );
        let text = serde_json::to_string(&data).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"b":{"nodes":[{"y":2,"x":1,"z":3}]},"a":{"totalCount":1}}"#
        );
    }

    #[test]
    fn an_object_of_a_concrete_type_follows_the_selections_on_its_type() {
        let query = "{ nodes { ... on User { id name } ...P ... on Node { id } } }
                     fragment P on Post { title id }";
        let types = SchemaTypes::from_sdl(
            "interface Node { id: ID! }
             type User implements Node { id: ID! name: String! }
             type Post implements Node { id: ID! title: String! }",
        );
        let mut data = async_graphql::value!({
            "nodes": [ { "name": "u", "id": "1" }, { "id": "2", "title": "t" } ],
        });
        let concrete = Concrete::from([
            (vec![Step::Key("nodes".into()), Step::Index(0)], "User"),
            (vec![Step::Key("nodes".into()), Step::Index(1)], "Post"),
        ]);
        let document = async_graphql::parser::parse_query(query).expect("the query parses");
        order_response(&mut data, &document, None, &types, &concrete);
        let text = serde_json::to_string(&data).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"nodes":[{"id":"1","name":"u"},{"title":"t","id":"2"}]}"#
        );
    }
}
