//! The approval to open one connection: counted in `connecting` from the moment it is
//! granted (under the pool lock), so `open + connecting <= max_size` always holds.
//! Dropping an unused approval gives the slot back.

use std::sync::Weak;

use super::shared::Shared;
use crate::ManageConnection;

/// Permission for one connect. Must be used (`Shared::connected`) or dropped.
#[must_use = "an approval holds a connect slot until used or dropped"]
pub(crate) struct Approval<M: ManageConnection> {
    pub shared: Weak<Shared<M>>,
    generation: u64,
    armed: bool,
}

impl<M: ManageConnection> Approval<M> {
    /// Call with the pool lock held, after counting it in `connecting`.
    pub fn granted(shared: Weak<Shared<M>>, generation: u64) -> Self {
        Approval {
            shared,
            generation,
            armed: true,
        }
    }

    /// The slot was accounted for by the caller (under the pool lock).
    pub fn consume(mut self) {
        self.armed = false;
    }
}

impl<M: ManageConnection> Drop for Approval<M> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Some(shared) = self.shared.upgrade() {
            let mut st = shared.state.lock();
            if st.generation == self.generation {
                st.connecting = st.connecting.saturating_sub(1);
            }
        }
    }
}
