//! The small vocabulary every aggregate speaks: `decide` turns a command into events (or
//! refuses it) and `apply` folds an event into the state. Both are pure.

use crate::event::DomainEvent;

pub trait Aggregate: Default + Send + Sync {
    /// The stream type under which this aggregate's streams are stored.
    const STREAM_TYPE: &'static str;
    type Event: DomainEvent;
    type Command;
    type Error: std::error::Error + Send + Sync + 'static;

    fn decide(&self, command: &Self::Command) -> Result<Vec<Self::Event>, Self::Error>;
    fn apply(self, event: &Self::Event) -> Self;

    fn fold<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self
    where
        Self::Event: 'a,
    {
        events.into_iter().fold(Self::default(), |s, e| s.apply(e))
    }
}
