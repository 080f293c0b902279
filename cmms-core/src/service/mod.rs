//! Use cases on the `Cmms` facade: load -> authorize -> decide -> commit -> publish.

use crate::clock::{Clock, SystemClock};
use crate::store::Store;
use std::sync::Arc;

/// The entry point: a store plus a clock, and every use case as a method taking `&Actor` first.
#[derive(Clone)]
pub struct Cmms {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl Cmms {
    /// Wraps a store, using the system clock.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, clock: Arc::new(SystemClock) }
    }

    /// Wraps a store with a custom clock (tests, simulations).
    pub fn with_clock(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
