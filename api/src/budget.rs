//! The values-in-flight budget: how many response values the requests under
//! way may hold at once (`--max-values-in-flight`), and the gate at the
//! schema's roots where a request takes its share.
//!
//! A request's share is the most values its document can return
//! ([`crate::document::estimated_values`]). It is taken when the first root
//! field of the operation starts to resolve, so only once async-graphql has
//! validated the document: a document that the complexity limit (or any
//! other rule) refuses never takes room, however long its validation runs.
//! The share is held until the response has been written out as JSON, since
//! the value tree and its text both live until then ([`Room`] is dropped by
//! whoever writes the response).
//!
//! The gate is a wrapper type around the root objects ([`Gated`]), not an
//! async-graphql extension: with any extension registered, async-graphql
//! sends every field of every response through the extension chain.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::ContainerType;
use async_graphql::{
    Context, ContextSelectionSet, ObjectType, OutputType, Positioned, ServerResult, Value,
};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

/// The response values the requests under way may hold, shared out as
/// permits: a request holds as many as its document can return while it
/// runs, so that a burst of large queries runs a few at a time instead of
/// holding every large response in memory at once.
pub struct ValuesInFlight {
    room: Arc<Semaphore>,
    capacity: u32,
}

impl ValuesInFlight {
    /// Room for `capacity` values at once.
    pub fn new(capacity: u32) -> ValuesInFlight {
        let capacity = capacity.max(1);
        ValuesInFlight {
            room: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
        }
    }

    /// Waits until there is room for `values` more values (at least one; a
    /// request larger than the whole capacity waits for all of it, and runs
    /// alone), and holds it until the permit is dropped.
    async fn enter(&self, values: u64) -> Option<OwnedSemaphorePermit> {
        let permits = u32::try_from(values)
            .unwrap_or(u32::MAX)
            .clamp(1, self.capacity);
        // The semaphore is never closed, so this waits rather than fails.
        self.room.clone().acquire_many_owned(permits).await.ok()
    }
}

/// One request's share of the budget: taken at most once, by the first root
/// field that resolves ([`Room::enter`]), and given back when the `Room` is
/// dropped. The pipeline attaches it to the request as data and keeps a
/// copy until the response is written.
pub struct Room {
    budget: Arc<ValuesInFlight>,
    values: u64,
    held: OnceCell<Option<OwnedSemaphorePermit>>,
}

impl Room {
    /// A share of `values` values of `budget`, not yet taken.
    pub fn new(budget: Arc<ValuesInFlight>, values: u64) -> Room {
        Room {
            budget,
            values,
            held: OnceCell::new(),
        }
    }

    /// Takes the share, waiting for room; at once if it is taken already.
    pub async fn enter(&self) {
        self.held
            .get_or_init(|| self.budget.enter(self.values))
            .await;
    }

    /// Whether the share has been taken (the operation started to run).
    pub fn is_taken(&self) -> bool {
        self.held.initialized()
    }
}

/// A root object whose fields first take the request's [`Room`], when the
/// request carries one (subscriptions and the schema's own tests do not).
/// It is the root it wraps in every other way: the same GraphQL type, the
/// same fields, the same SDL.
#[derive(Default)]
pub struct Gated<T>(pub T);

impl<T: OutputType> OutputType for Gated<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        self.0.resolve(ctx, field).await
    }
}

/// Marks a request that is only to be validated: its root fields resolve
/// to null at once, without taking any room or reading anything. A planned
/// query is validated so by async-graphql before its plan runs.
pub struct OnlyValidate;

impl<T: ContainerType> ContainerType for Gated<T> {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        if ctx.data_opt::<OnlyValidate>().is_some() {
            return Ok(Some(Value::Null));
        }
        if let Some(room) = ctx.data_opt::<Arc<Room>>() {
            room.enter().await;
        }
        self.0.resolve_field(ctx).await
    }

    async fn find_entity(&self, ctx: &Context<'_>, params: &Value) -> ServerResult<Option<Value>> {
        self.0.find_entity(ctx, params).await
    }
}

impl<T: ObjectType> ObjectType for Gated<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_share_is_taken_once_and_given_back_when_the_room_is_dropped() {
        let budget = Arc::new(ValuesInFlight::new(10));
        let room = Room::new(budget.clone(), 7);
        assert!(!room.is_taken());
        room.enter().await;
        room.enter().await;
        assert!(room.is_taken());
        assert_eq!(budget.room.available_permits(), 3);
        drop(room);
        assert_eq!(budget.room.available_permits(), 10);
    }

    #[tokio::test]
    async fn a_share_larger_than_the_budget_takes_all_of_it() {
        let budget = Arc::new(ValuesInFlight::new(10));
        let room = Room::new(budget.clone(), 1_000);
        room.enter().await;
        assert_eq!(budget.room.available_permits(), 0);
    }
}
