//! `Handoff`: the library's blocking calls for `sharedpool.aio`, run on native worker threads
//! that never take the GIL.
//!
//! The event loop prepares a call (its parameters converted with the GIL held) and queues it; a
//! worker runs it (acquire, statement, release: blocking C calls) and queues its outcome; an
//! eventfd that the loop watches (`loop.add_reader`) wakes the loop, which converts every outcome
//! queued by then into Python objects (`drain`). A worker thus costs the loop no GIL hand-over,
//! and one wake-up serves a batch. Two lanes, each with its own workers (at most `limit`,
//! started on demand, ended by `close`): checkouts, which may wait for a connection, and calls on
//! connections already held, which must never queue behind them (the connection a waiter wants
//! may be one of those).

use std::collections::VecDeque;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::acquire::{acquire, ConnPtr, Interrupt, Wait};
use crate::cancel::Cancel;
use crate::connection::{result_tuple, RawConnection};
use crate::errors::{interface_error, SpError};
use crate::params::{prepare, Statement};
use crate::pool::{cstring, millis, query_once, Handle, Pool};
use crate::values::ResultSet;

/// What a pool-level statement gives back.
#[derive(Clone, Copy)]
enum Want {
    Rows,
    Affected,
}

/// One call, with everything it needs to run without the GIL.
enum Work {
    /// Check out, run one statement, return (`Pool.query` / `Pool.execute`).
    PoolQuery {
        pool: Arc<Handle>,
        stmt: Statement,
        want: Want,
        cancel: Option<Py<Cancel>>,
        queued: Instant,
    },
    /// Check a connection out (`Pool.acquire`).
    Acquire {
        pool: Arc<Handle>,
        timeout_ms: i64,
        label: Option<CString>,
        cancel: Option<Py<Cancel>>,
        queued: Instant,
    },
    /// One statement on a held connection (`RawConnection.query`).
    ConnQuery {
        conn: Py<RawConnection>,
        stmt: Statement,
        cancel: Option<Py<Cancel>>,
    },
    /// Return a held connection to its pool.
    Release { conn: Py<RawConnection> },
    /// Choose a held connection's autocommit mode (waits for a statement still running on it).
    SetAutocommit { conn: Py<RawConnection>, on: bool },
}

enum Outcome {
    Rows(ResultSet, Want),
    Tuple(ResultSet),
    Conn(ConnPtr),
    Done,
}

/// A finished call: its Python-owned parts come back to be dropped with the GIL.
struct Finished {
    id: u64,
    outcome: Result<Outcome, SpError>,
    _keep: Keep,
}

/// The Python objects a call held (decref'd where the GIL is held).
struct Keep {
    _stmt: Option<Statement>,
    _objects: Vec<Py<PyAny>>,
}

fn token(c: &Option<Py<Cancel>>) -> Option<&Cancel> {
    // `get` needs no GIL: Cancel is frozen and Sync.
    c.as_ref().map(Py::get)
}

fn waited_ms(queued: Instant) -> i64 {
    queued.elapsed().as_millis().min(i64::MAX as u128) as i64
}

impl Work {
    /// Runs the call on this (GIL-free) thread.
    fn run(&self) -> Result<Outcome, SpError> {
        let no_interrupt = Interrupt::default();
        match self {
            Work::PoolQuery {
                pool,
                stmt,
                want,
                cancel,
                queued,
            } => {
                let wait = Wait {
                    cancel: token(cancel),
                    waited_ms: waited_ms(*queued),
                    ..Wait::default()
                };
                query_once(pool, wait, &no_interrupt, stmt.call()).map(|r| Outcome::Rows(r, *want))
            }
            Work::Acquire {
                pool,
                timeout_ms,
                label,
                cancel,
                queued,
            } => {
                let wait = Wait {
                    timeout_ms: *timeout_ms,
                    label: label.as_deref(),
                    cancel: token(cancel),
                    waited_ms: waited_ms(*queued),
                };
                acquire(pool.0, wait, &no_interrupt).map(Outcome::Conn)
            }
            Work::ConnQuery { conn, stmt, cancel } => conn
                .get()
                .run(stmt.call(), token(cancel))
                .map(Outcome::Tuple),
            Work::Release { conn } => {
                if let Some(c) = conn.get().take() {
                    c.release();
                }
                Ok(Outcome::Done)
            }
            Work::SetAutocommit { conn, on } => {
                conn.get().set_autocommit(*on).map(|()| Outcome::Done)
            }
        }
    }

    /// Drops what needs no GIL (a pool reference: releasing it may close the pool, with I/O),
    /// keeps the Python objects.
    fn into_keep(self) -> Keep {
        let cancel_obj = |c: Option<Py<Cancel>>| c.map(Py::into_any);
        match self {
            Work::PoolQuery { stmt, cancel, .. } => Keep {
                _stmt: Some(stmt),
                _objects: cancel_obj(cancel).into_iter().collect(),
            },
            Work::Acquire { cancel, .. } => Keep {
                _stmt: None,
                _objects: cancel_obj(cancel).into_iter().collect(),
            },
            Work::ConnQuery { conn, stmt, cancel } => Keep {
                _stmt: Some(stmt),
                _objects: std::iter::once(conn.into_any())
                    .chain(cancel_obj(cancel))
                    .collect(),
            },
            Work::Release { conn } | Work::SetAutocommit { conn, .. } => Keep {
                _stmt: None,
                _objects: vec![conn.into_any()],
            },
        }
    }
}

struct Job {
    id: u64,
    work: Work,
}

#[derive(Default)]
struct LaneState {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
    closed: bool,
}

#[derive(Default)]
struct Lane {
    state: Mutex<LaneState>,
    ready: Condvar,
}

struct Shared {
    lanes: [Lane; 2],
    done: Mutex<Vec<Finished>>,
    /// Readable while outcomes wait in `done` (an eventfd; closed with the last worker).
    wake: OwnedFd,
    limit: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn work(self: Arc<Self>, lane: usize) {
        let l = &self.lanes[lane];
        loop {
            let job = {
                let mut st = lock(&l.state);
                loop {
                    if let Some(job) = st.jobs.pop_front() {
                        break job;
                    }
                    if st.closed {
                        st.threads -= 1;
                        return;
                    }
                    st.idle += 1;
                    st = l.ready.wait(st).unwrap_or_else(|p| p.into_inner());
                    st.idle -= 1;
                }
            };
            let outcome = job.work.run();
            let finished = Finished {
                id: job.id,
                outcome,
                _keep: job.work.into_keep(),
            };
            let first = {
                let mut done = lock(&self.done);
                done.push(finished);
                done.len() == 1
            };
            if first {
                let one: u64 = 1;
                // SAFETY: `wake` is an open eventfd; writing 8 bytes adds 1 to its counter.
                unsafe { libc::write(self.wake.as_raw_fd(), (&one as *const u64).cast(), 8) };
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Connections checked out for calls whose outcome nobody drained go back to the pool.
        for f in std::mem::take(self.done.get_mut().unwrap_or_else(|p| p.into_inner())) {
            if let Ok(Outcome::Conn(c)) = f.outcome {
                c.release();
            }
        }
    }
}

/// Native workers for one `sharedpool.aio` pool (see the module doc).
#[pyclass(module = "sharedpool._sharedpool", frozen)]
pub struct Handoff {
    shared: Arc<Shared>,
    next_id: Mutex<u64>,
}

impl Handoff {
    fn submit(&self, lane: usize, work: Work) -> PyResult<u64> {
        let id = {
            let mut n = lock(&self.next_id);
            *n += 1;
            *n
        };
        let l = &self.shared.lanes[lane];
        let spawn = {
            let mut st = lock(&l.state);
            if st.closed {
                return Err(interface_error("the pool is closed"));
            }
            st.jobs.push_back(Job { id, work });
            let spawn = st.jobs.len() > st.idle && st.threads < self.shared.limit;
            if spawn {
                st.threads += 1;
            }
            spawn
        };
        if spawn {
            let shared = self.shared.clone();
            let started = std::thread::Builder::new()
                .name(format!("sharedpool-aio-{lane}"))
                .spawn(move || shared.work(lane));
            if started.is_err() {
                lock(&l.state).threads -= 1;
            }
        }
        l.ready.notify_one();
        Ok(id)
    }
}

fn unbind(c: Option<&Bound<'_, Cancel>>) -> Option<Py<Cancel>> {
    c.map(|c| c.clone().unbind())
}

#[pymethods]
impl Handoff {
    /// Workers for up to `limit` calls at once per lane.
    #[new]
    fn new(limit: usize) -> PyResult<Handoff> {
        // SAFETY: eventfd has no preconditions; the fd is owned from here on.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        Ok(Handoff {
            shared: Arc::new(Shared {
                lanes: Default::default(),
                done: Mutex::new(Vec::new()),
                // SAFETY: fd is a new descriptor nobody else owns.
                wake: unsafe { OwnedFd::from_raw_fd(fd) },
                limit: limit.max(1),
            }),
            next_id: Mutex::new(0),
        })
    }

    /// The descriptor that becomes readable when outcomes are ready (for `loop.add_reader`).
    fn fileno(&self) -> i32 {
        self.shared.wake.as_raw_fd()
    }

    /// Queues `pool.query` (`rows=True`) or `pool.execute`; returns the call's id.
    #[pyo3(signature = (pool, sql, params, rows, cancel))]
    fn pool_query(
        &self,
        py: Python<'_>,
        pool: &Bound<'_, Pool>,
        sql: &str,
        params: Option<&Bound<'_, PyAny>>,
        rows: bool,
        cancel: Option<&Bound<'_, Cancel>>,
    ) -> PyResult<u64> {
        let work = Work::PoolQuery {
            pool: pool.get().handle()?,
            stmt: prepare(py, sql, params)?.unbind(),
            want: if rows { Want::Rows } else { Want::Affected },
            cancel: unbind(cancel),
            queued: Instant::now(),
        };
        self.submit(0, work)
    }

    /// Queues `pool.acquire(timeout, label)`; returns the call's id.
    #[pyo3(signature = (pool, timeout, label, cancel))]
    fn acquire(
        &self,
        pool: &Bound<'_, Pool>,
        timeout: Option<f64>,
        label: Option<&str>,
        cancel: Option<&Bound<'_, Cancel>>,
    ) -> PyResult<u64> {
        let work = Work::Acquire {
            pool: pool.get().handle()?,
            timeout_ms: match timeout {
                None => -1,
                Some(t) => millis("timeout", t)?,
            },
            label: label.map(|l| cstring("the label", l)).transpose()?,
            cancel: unbind(cancel),
            queued: Instant::now(),
        };
        self.submit(0, work)
    }

    /// Queues `conn.query(sql, params)` on the held-connection lane; returns the call's id.
    #[pyo3(signature = (conn, sql, params, cancel))]
    fn conn_query(
        &self,
        py: Python<'_>,
        conn: &Bound<'_, RawConnection>,
        sql: &str,
        params: Option<&Bound<'_, PyAny>>,
        cancel: Option<&Bound<'_, Cancel>>,
    ) -> PyResult<u64> {
        let work = Work::ConnQuery {
            conn: conn.clone().unbind(),
            stmt: prepare(py, sql, params)?.unbind(),
            cancel: unbind(cancel),
        };
        self.submit(1, work)
    }

    /// Queues `conn.release()` on the held-connection lane; returns the call's id.
    fn release(&self, conn: &Bound<'_, RawConnection>) -> PyResult<u64> {
        self.submit(
            1,
            Work::Release {
                conn: conn.clone().unbind(),
            },
        )
    }

    /// Queues `conn.set_autocommit(on)` on the held-connection lane; returns the call's id.
    fn set_autocommit(&self, conn: &Bound<'_, RawConnection>, on: bool) -> PyResult<u64> {
        self.submit(
            1,
            Work::SetAutocommit {
                conn: conn.clone().unbind(),
                on,
            },
        )
    }

    /// The calls finished since the last drain: `(id, value, exception)` each, one of the last
    /// two None.
    fn drain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut counter = 0u64;
        // SAFETY: `wake` is an open non-blocking eventfd; reading 8 bytes resets it (or fails
        // with EAGAIN when it is already 0, which is fine).
        unsafe {
            libc::read(
                self.shared.wake.as_raw_fd(),
                (&mut counter as *mut u64).cast(),
                8,
            )
        };
        let done = std::mem::take(&mut *lock(&self.shared.done));
        let out = PyList::empty(py);
        for f in done {
            let value: PyResult<Py<PyAny>> = match f.outcome {
                Err(e) => Err(e.into_pyerr(py)),
                Ok(Outcome::Rows(res, Want::Rows)) => res.rows(py).map(|r| r.into_any().unbind()),
                Ok(Outcome::Rows(res, Want::Affected)) => {
                    Ok(res.affected_rows().into_pyobject(py)?.into_any().unbind())
                }
                Ok(Outcome::Tuple(res)) => result_tuple(py, res).map(|t| t.into_any().unbind()),
                Ok(Outcome::Conn(c)) => Py::new(py, RawConnection::new(c)).map(|c| c.into_any()),
                Ok(Outcome::Done) => Ok(py.None()),
            };
            match value {
                Ok(v) => out.append((f.id, v, py.None()))?,
                Err(e) => out.append((f.id, py.None(), e.into_value(py)))?,
            }
        }
        Ok(out)
    }

    /// Ends the workers once the calls already queued have run; later calls raise
    /// `InterfaceError`. Idempotent.
    fn close(&self) {
        for l in &self.shared.lanes {
            lock(&l.state).closed = true;
            l.ready.notify_all();
        }
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        self.close();
    }
}
