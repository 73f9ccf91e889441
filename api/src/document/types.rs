//! What the toolkit knows of types: the field types and interfaces the
//! schema declares, read from its SDL (this toolkit names no schema code),
//! and the concrete type of each object a resolver returned where the schema
//! only promises an interface.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_graphql::PathSegment;
use async_graphql::parser::types::{Type, TypeKind, TypeSystemDefinition};

/// The declared type of every field of every object and interface type, and
/// the interfaces each object type implements.
#[derive(Debug, Default)]
pub struct SchemaTypes {
    fields: HashMap<(String, String), Type>,
    implements: HashSet<(String, String)>,
}

impl SchemaTypes {
    /// The types the schema `sdl` declares; none if it does not parse.
    pub fn from_sdl(sdl: &str) -> SchemaTypes {
        let mut types = SchemaTypes::default();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return types;
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let owner = definition.node.name.node.to_string();
            let declared = match definition.node.kind {
                TypeKind::Object(object) => {
                    for interface in object.implements {
                        types
                            .implements
                            .insert((owner.clone(), interface.node.to_string()));
                    }
                    object.fields
                }
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            for field in declared {
                let field = field.node;
                types
                    .fields
                    .insert((owner.clone(), field.name.node.to_string()), field.ty.node);
            }
        }
        types
    }

    /// The declared type of `owner`'s field `field`.
    pub fn field(&self, owner: &str, field: &str) -> Option<&Type> {
        self.fields.get(&(owner.to_owned(), field.to_owned()))
    }

    /// Whether a fragment on `condition` applies to an object of type `object`.
    pub fn applies(&self, condition: &str, object: &str) -> bool {
        condition == object
            || self
                .implements
                .contains(&(object.to_owned(), condition.to_owned()))
    }
}

/// The concrete types of the objects a request's resolvers returned where the
/// schema says only an interface, by response path: what tells a `Post`
/// among `nodes(ids:)`'s items from a `User`, whose selections differ.
#[derive(Debug, Default)]
pub struct ConcreteTypes(Mutex<Concrete>);

impl ConcreteTypes {
    /// Says that the object at `path` is a `name`.
    pub fn record(&self, path: Vec<Step>, name: &'static str) {
        if let Ok(mut types) = self.0.lock() {
            types.insert(path, name);
        }
    }

    /// What was recorded, taken out.
    pub fn take(&self) -> Concrete {
        self.0
            .lock()
            .map(|mut types| std::mem::take(&mut *types))
            .unwrap_or_default()
    }
}

/// The concrete types a finished response's positions have, as recorded.
pub type Concrete = HashMap<Vec<Step>, &'static str>;

/// One step of a response path: a key of an object or an index in a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// An object's response key.
    Key(String),
    /// A list's item.
    Index(usize),
}

impl From<&PathSegment> for Step {
    fn from(segment: &PathSegment) -> Step {
        match segment {
            PathSegment::Field(key) => Step::Key(key.clone()),
            PathSegment::Index(i) => Step::Index(*i),
        }
    }
}
