//! One background thread for the timed work of every pool in the process (maintenance passes,
//! lingering closes), as HikariCP's housekeeping executor: 100 pools are one thread, not 100.
//!
//! A task runs on the scheduler's thread, outside the queue's lock, and says when it wants to
//! run again (`None`: done). Tasks must be short: a maintenance pass takes the pool lock briefly
//! and closes retired connections (a `COM_QUIT` each). A panicking task is dropped and logged.
//! The thread starts with the first task. After `fork()` a child has no scheduler thread: the
//! first task scheduled there starts one, with the parent's tasks leaked (the pools reschedule
//! their own work when they notice the fork).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, LazyLock};
use std::time::Instant;

use crate::fork;
use crate::fork_locks::{self, Leaf};
use crate::pool::lock::wait_until;

/// Timed work: called with the time it runs at, returns when to run next (`None`: never).
pub(crate) type Task = Box<dyn FnMut(Instant) -> Option<Instant> + Send>;

struct Entry {
    due: Instant,
    /// Ties broken by scheduling order.
    seq: u64,
    task: Task,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reversed: `BinaryHeap` pops the greatest, the scheduler wants the earliest.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

#[derive(Default)]
struct Queue {
    tasks: BinaryHeap<Entry>,
    seq: u64,
    /// The fork generation whose thread serves the queue (`None`: no thread yet).
    served_in: Option<u64>,
}

struct Scheduler {
    queue: Arc<Leaf<Queue>>,
    cv: Condvar,
}

static SCHEDULER: LazyLock<Scheduler> = LazyLock::new(|| Scheduler {
    queue: fork_locks::leaf(Queue::default()),
    cv: Condvar::new(),
});

/// Runs `task` at `due` (and again whenever it asks) on the scheduler's thread.
pub(crate) fn schedule(due: Instant, task: Task) {
    let s = &*SCHEDULER;
    let mut q = s.queue.lock();
    let now = fork::generation();
    if q.served_in != Some(now) {
        if q.served_in.is_some() {
            // A child: the parent's thread is gone, its tasks may hold what it held.
            std::mem::forget(std::mem::take(&mut q.tasks));
        }
        let spawned = std::thread::Builder::new()
            .name("sharedpool-sched".into())
            .spawn(move || serve(now));
        match spawned {
            Ok(_) => q.served_in = Some(now),
            Err(e) => {
                log::error!("sharedpool: cannot start the scheduler thread: {e}");
                return;
            }
        }
    }
    q.seq += 1;
    let seq = q.seq;
    let earliest = q.tasks.peek().map_or(true, |e| due < e.due);
    q.tasks.push(Entry { due, seq, task });
    drop(q);
    if earliest {
        s.cv.notify_one();
    }
}

/// The scheduler's thread (of fork generation `generation`).
fn serve(generation: u64) {
    let s = &*SCHEDULER;
    let mut q = s.queue.lock();
    loop {
        if q.served_in != Some(generation) {
            return;
        }
        let now = Instant::now();
        match q.tasks.peek().map(|e| e.due) {
            Some(due) if due <= now => {
                let Some(mut entry) = q.tasks.pop() else {
                    continue;
                };
                drop(q);
                let next =
                    catch_unwind(AssertUnwindSafe(|| (entry.task)(now))).unwrap_or_else(|_| {
                        log::error!("sharedpool: a scheduled task panicked; dropped");
                        None
                    });
                q = s.queue.lock();
                if let Some(due) = next {
                    q.seq += 1;
                    entry.due = due;
                    entry.seq = q.seq;
                    q.tasks.push(entry);
                } else {
                    drop(q);
                    drop(entry); // outside the lock: it may drop a pool
                    q = s.queue.lock();
                }
            }
            due => q = wait_until(&s.cv, q, due),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn tasks_run_in_due_order_repeat_on_request_on_one_thread() {
        let (tx, rx) = mpsc::channel();
        let start = Instant::now();
        for (name, after_ms) in [("late", 60u64), ("early", 20)] {
            let tx = tx.clone();
            let mut runs = 0;
            schedule(
                start + Duration::from_millis(after_ms),
                Box::new(move |now| {
                    runs += 1;
                    tx.send((name, runs, std::thread::current().id())).unwrap();
                    (runs < 2).then(|| now + Duration::from_millis(100))
                }),
            );
        }
        let got: Vec<_> = (0..4)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).expect("a run"))
            .collect();
        let order: Vec<_> = got.iter().map(|(n, r, _)| (*n, *r)).collect();
        assert_eq!(
            order,
            [("early", 1), ("late", 1), ("early", 2), ("late", 2)]
        );
        assert!(
            got.iter().all(|g| g.2 == got[0].2),
            "one thread runs them all"
        );
        assert!(start.elapsed() >= Duration::from_millis(160));
        assert!(
            rx.recv_timeout(Duration::from_millis(250)).is_err(),
            "done tasks stay done"
        );
    }

    #[test]
    fn a_panicking_task_is_dropped_and_the_others_still_run() {
        let (tx, rx) = mpsc::channel();
        let now = Instant::now();
        schedule(now, Box::new(|_| panic!("boom")));
        schedule(
            now + Duration::from_millis(10),
            Box::new(move |_| {
                tx.send(()).unwrap();
                None
            }),
        );
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the task after the panic ran");
    }
}
