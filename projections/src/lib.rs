//! The read side: projections that follow the event store by global position (a
//! [`eventstore::Subscription`]) and build the search, history (履歴照会) and research views.
//! Each view is rebuilt by replaying the store from position 0.
