"""After os.fork() the child opens its own connections; the parent's keep working."""

from __future__ import annotations

import os

import sharedpool


def test_fork_child_uses_its_own_connections(open_pool) -> None:
    pool = open_pool(max_size=1, min_idle=1)
    (parent_id,) = pool.query("SELECT CONNECTION_ID()")[0]
    with pool.connection() as conn:  # a connection borrowed across the fork
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report and leave without running any Python cleanup
            code = 1
            try:
                os.close(read_fd)
                (child_id,) = pool.query("SELECT CONNECTION_ID()")[0]
                (again,) = pool.query("SELECT CONNECTION_ID()")[0]
                os.write(write_fd, f"{child_id} {again}".encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        with os.fdopen(read_fd) as f:
            report = f.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, report
        child_id, again = (int(x) for x in report.split())
        assert child_id != parent_id
        assert again == child_id  # the child's pool reuses the child's own connection
        # The parent's borrowed connection still works: the child never touched its socket.
        assert conn.execute("SELECT CONNECTION_ID()").fetchone() == (parent_id,)
    assert pool.query("SELECT CONNECTION_ID()") == [(parent_id,)]
    assert sharedpool.metrics_text()


def test_repeated_forks_with_background_threads(open_pool) -> None:
    """Many forks while the pool's background threads run: every child queries and exits cleanly
    (a child crashing in a thread inherited state from the parent shows up as a signal)."""
    statuses = []
    for i in range(25):
        pool = open_pool(max_size=1, min_idle=1)
        assert pool.query("SELECT %s", (i,)) == [(i,)]
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = 0 if pool.query("SELECT %s", (i,)) == [(i,)] else 2
            finally:
                os._exit(code)
        statuses.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        assert pool.query("SELECT 1") == [(1,)]
        pool.close()
    assert statuses == [0] * 25
