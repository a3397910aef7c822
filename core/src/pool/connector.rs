//! Connector threads: connects run here, outside every caller's deadline and outside the
//! pool lock, at most `max_connecting` at once. A result goes to the oldest waiter or idle,
//! so a waiter that gave up does not waste it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use super::approval::Approval;
use crate::{Error, ErrorKind, ManageConnection};

/// Longest sleep between checks for a closed or dropped pool during backoff.
const BACKOFF_POLL: Duration = Duration::from_millis(50);

/// Starts one connector thread per approval.
pub(crate) fn spawn<M: ManageConnection>(approvals: Vec<Approval<M>>) {
    for approval in approvals {
        let spawned = std::thread::Builder::new()
            .name("sharedpool-connect".into())
            .spawn(move || run(approval));
        if let Err(e) = spawned {
            // The approval was dropped with the closure: its slot is free again.
            log::error!("sharedpool: cannot start a connector thread: {e}");
        }
    }
}

/// Connects until nothing more is wanted. Holds the pool only during a connect.
fn run<M: ManageConnection>(mut approval: Approval<M>) {
    loop {
        let Some(shared) = approval.shared.upgrade() else {
            return;
        };
        let wait = {
            let st = shared.state.lock();
            if st.closed {
                return;
            }
            st.backoff_until
                .map(|t| t.saturating_duration_since(Instant::now()))
        };
        if let Some(wait) = wait.filter(|w| !w.is_zero()) {
            drop(shared);
            std::thread::sleep(wait.min(BACKOFF_POLL));
            continue;
        }
        let result =
            catch_unwind(AssertUnwindSafe(|| shared.manager.connect())).unwrap_or_else(|_| {
                Err(Error::new(
                    ErrorKind::Internal,
                    "the connection manager panicked in connect",
                ))
            });
        let result = result.map(|mut raw| {
            shared.read_capacity(&mut raw, true);
            raw
        });
        match shared.connected(approval, result) {
            Some(next) => approval = next,
            None => return,
        }
    }
}
