//! What a document's text alone decides: the shape limits it must pass
//! before anything runs (aliases, directives per field, selections once its
//! fragments are spread out, one sign-in per request), and how many values
//! it can return, by which the memory in flight is shared out.
//!
//! Every count is worked out once per fragment and reused wherever the
//! fragment is spread, so a document that stands for 2^n fields in a few
//! hundred bytes is measured in time proportional to its length. Nothing
//! here reads the schema or runs anything.

use async_graphql::parser::types::ExecutableDocument;

use super::operation_to_run;
use crate::config::QueryLimits;

/// Checks the limits a document's text alone decides, and says which it
/// passes over: its aliases, its directives per field, and its selections
/// once every fragment spread is replaced by its fragment. That last count
/// is worked out once per fragment, so a chain of fragments each spreading
/// the next twice (2^n selections in a few hundred bytes) is measured in
/// time proportional to the document's length.
pub(super) fn check_shape(
    document: &ExecutableDocument,
    limits: &QueryLimits,
) -> Result<(), String> {
    let aliases = count_aliases(document);
    if aliases > limits.max_aliases {
        return Err(format!(
            "The query uses {aliases} aliases; at most {} are allowed.",
            limits.max_aliases
        ));
    }
    let directives = most_directives(document);
    if directives > limits.max_directives {
        return Err(format!(
            "A field of the query carries {directives} directives; at most {} are allowed.",
            limits.max_directives
        ));
    }
    let selections = expanded_selections(document);
    if selections > limits.max_selections as u64 {
        return Err(format!(
            "The query selects {selections} fields once its fragments are spread out; at most {} \
             are allowed.",
            limits.max_selections
        ));
    }
    let sign_ins = count_sign_ins(document);
    if sign_ins > 1 {
        return Err(format!(
            "The request signs in or registers {sign_ins} times; a request may do it once."
        ));
    }
    Ok(())
}

/// Counts the fields of selection sets with every fragment spread replaced
/// by the fragment it names. Each fragment is counted once and its count
/// reused wherever it is spread, so a chain of fragments each spreading the
/// next twice is counted in time proportional to the document's length,
/// not to the 2^n fields it stands for. A spread of an unknown fragment, or
/// of one that spreads itself, counts nothing: validation refuses both
/// before anything runs.
struct ExpandedCount<'a, W> {
    document: &'a ExecutableDocument,
    /// What one field counts, what the count of the fields under it is
    /// multiplied by, and whether they count at all.
    weigh: W,
    /// Each fragment's count, `None` while it is being counted.
    fragments: std::collections::HashMap<&'a str, Option<u64>>,
}

impl<'a, W: Fn(&async_graphql::parser::types::Field) -> (u64, u64, bool)> ExpandedCount<'a, W> {
    fn new(document: &'a ExecutableDocument, weigh: W) -> Self {
        ExpandedCount {
            document,
            weigh,
            fragments: std::collections::HashMap::new(),
        }
    }

    fn set(&mut self, set: &'a async_graphql::parser::types::SelectionSet) -> u64 {
        use async_graphql::parser::types::Selection;
        set.items.iter().fold(0u64, |total, item| {
            let count = match &item.node {
                Selection::Field(field) => {
                    let (own, times, descend) = (self.weigh)(&field.node);
                    let below = if descend {
                        self.set(&field.node.selection_set.node)
                    } else {
                        0
                    };
                    own.saturating_add(times.saturating_mul(below))
                }
                Selection::InlineFragment(fragment) => self.set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            };
            total.saturating_add(count)
        })
    }

    fn fragment(&mut self, name: &'a str) -> u64 {
        match self.fragments.get(name) {
            Some(Some(count)) => return *count,
            Some(None) => return 0, // It spreads itself.
            None => {}
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0;
        };
        self.fragments.insert(name, None);
        let count = self.set(&fragment.node.selection_set.node);
        self.fragments.insert(name, Some(count));
        count
    }
}

/// The most field selections any operation of `document` holds with its
/// fragment spreads replaced by their fragments.
fn expanded_selections(document: &ExecutableDocument) -> u64 {
    let mut count = ExpandedCount::new(document, |_| (1, 1, true));
    document
        .operations
        .iter()
        .map(|(_, operation)| count.set(&operation.node.selection_set.node))
        .max()
        .unwrap_or(0)
}

/// The most values the operation of `document` that runs can return, with
/// `variables`: every selected field counts once per item of each list
/// above it. A connection's list holds its `first` or `last` (a variable's
/// value; the largest page when that does not say), or the default page
/// without either; `nodes(ids:)` one item per id. An estimate for sharing
/// out memory ([`crate::budget::ValuesInFlight`]), not a limit: fragments count
/// wherever they are spread, directives are not read.
pub fn estimated_values(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
) -> u64 {
    let Some(operation) = operation_to_run(document, operation_name) else {
        return 0;
    };
    let mut count = ExpandedCount::new(document, |field| {
        let items = list_items(field, variables);
        (items, items, true)
    });
    count.set(&operation.selection_set.node)
}

/// How many items the field `field` returns at most, as
/// [`estimated_values`] counts them.
fn list_items(
    field: &async_graphql::parser::types::Field,
    variables: &async_graphql::Variables,
) -> u64 {
    use crate::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    use async_graphql::Value as Literal;
    use async_graphql::parser::types::Selection;
    let argument = |name: &str| {
        field.get_argument(name).map(|value| {
            let given = |name: async_graphql::Name| {
                Ok::<_, ()>(variables.get(&name).cloned().unwrap_or(Literal::Null))
            };
            value
                .node
                .clone()
                .into_const_with(given)
                .unwrap_or(Literal::Null)
        })
    };
    if let Some(Literal::List(ids)) = argument("ids") {
        return ids.len() as u64;
    }
    if let Some(size) = argument("first").or_else(|| argument("last")) {
        return match size {
            Literal::Number(n) => n.as_u64().unwrap_or(0).min(MAX_PAGE_SIZE),
            _ => MAX_PAGE_SIZE,
        };
    }
    let is_connection = field.selection_set.node.items.iter().any(|item| {
        matches!(&item.node, Selection::Field(f) if matches!(f.node.name.node.as_str(), "nodes" | "edges"))
    });
    if is_connection { DEFAULT_PAGE_SIZE } else { 1 }
}

/// The mutation fields that hash a password, each a deliberately slow
/// piece of work.
const SIGN_IN_FIELDS: [&str; 2] = ["login", "register"];

/// How many [`SIGN_IN_FIELDS`] the mutations of `document` select, aliases
/// and fragments included (a fragment counts each time it is spread).
fn count_sign_ins(document: &ExecutableDocument) -> u64 {
    use async_graphql::parser::types::OperationType;
    let mut count = ExpandedCount::new(document, |field| {
        let signs_in = SIGN_IN_FIELDS.contains(&field.name.node.as_str());
        // Root fields only: what a mutation's result selects is no mutation.
        (u64::from(signs_in), 1, false)
    });
    document
        .operations
        .iter()
        .filter(|(_, operation)| operation.node.ty == OperationType::Mutation)
        .map(|(_, operation)| count.set(&operation.node.selection_set.node))
        .fold(0, u64::saturating_add)
}

/// The most directives on any one field, fragment spread, inline fragment,
/// operation or fragment definition of `document`.
fn most_directives(document: &ExecutableDocument) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => field
                    .node
                    .directives
                    .len()
                    .max(walk(&field.node.selection_set.node)),
                Selection::InlineFragment(fragment) => fragment
                    .node
                    .directives
                    .len()
                    .max(walk(&fragment.node.selection_set.node)),
                Selection::FragmentSpread(spread) => spread.node.directives.len(),
            })
            .max()
            .unwrap_or(0)
    }
    let operations = document.operations.iter().map(|(_, operation)| {
        operation
            .node
            .directives
            .len()
            .max(walk(&operation.node.selection_set.node))
    });
    let fragments = document.fragments.values().map(|fragment| {
        fragment
            .node
            .directives
            .len()
            .max(walk(&fragment.node.selection_set.node))
    });
    operations.chain(fragments).max().unwrap_or(0)
}

fn count_aliases(document: &ExecutableDocument) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + walk(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => walk(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| walk(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values each request can return, as the memory in flight is
    /// shared out: the SPEC's first query and the benchmark's large one.
    #[test]
    fn estimated_values_multiply_each_field_by_the_pages_above_it() {
        let estimate = |query: &str, variables: serde_json::Value| {
            let document = async_graphql::parser::parse_query(query).expect("the query parses");
            let variables = async_graphql::Variables::from_json(variables);
            estimated_values(&document, None, &variables)
        };
        // 50 users × (1 + username, profile and bio, 10 posts × 2 + 10, nodes).
        let users = "{ users(first: 50) { nodes { username profile { bio } posts(first: 10) { nodes { title } } } } }";
        assert_eq!(estimate(users, serde_json::json!({})), 1_750);
        let large = "{ tags(first: 10) { nodes { name photos(first: 100) { nodes { filename owner { username posts(first: 20) { nodes { title } } } } } } } }";
        assert_eq!(estimate(large, serde_json::json!({})), 65_030);
        // A variable counts as its value; one that does not say, as the largest page.
        let paged = "query($n: Int) { posts(first: $n) { nodes { title } } }";
        assert_eq!(estimate(paged, serde_json::json!({ "n": 3 })), 3 + 3 * 2);
        assert_eq!(estimate(paged, serde_json::json!({})), 100 + 100 * 2);
        // No page size: the default page.
        assert_eq!(
            estimate("{ posts { nodes { title } } }", serde_json::json!({})),
            20 + 20 * 2
        );
        let nodes = r#"{ nodes(ids: ["a", "b", "c"]) { id } }"#;
        assert_eq!(estimate(nodes, serde_json::json!({})), 3 + 3);
    }
}
