"""Session state never bleeds from one borrower to the next."""

from __future__ import annotations

import pytest

import sharedpool


def test_session_state_is_reset(open_pool, table) -> None:
    pool = open_pool(max_size=1)
    with pool.connection(autocommit=True) as conn:
        (cid,) = conn.execute("SELECT CONNECTION_ID()").fetchone()
        conn.execute("SET @leak = 42")
        conn.execute("SET SESSION time_zone = '+05:00'")
        conn.execute("SET SESSION sql_mode = 'ANSI_QUOTES'")
        conn.execute("CREATE TEMPORARY TABLE leak_tmp (x INT)")
        conn.execute("START TRANSACTION")
        conn.execute(f"INSERT INTO {table} (name) VALUES ('uncommitted')")
    with pool.connection() as conn:
        # The same server connection, clean again.
        assert conn.execute("SELECT CONNECTION_ID()").fetchone() == (cid,)
        assert conn.execute("SELECT @leak").fetchone() == (None,)
        assert conn.execute("SELECT @@session.time_zone = @@global.time_zone").fetchone() == (1,)
        assert conn.execute("SELECT @@session.sql_mode = @@global.sql_mode").fetchone() == (1,)
        with pytest.raises(sharedpool.ProgrammingError):
            conn.execute("SELECT * FROM leak_tmp")
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)


def test_pool_query_session_changes_do_not_leak(open_pool) -> None:
    pool = open_pool(max_size=1)
    pool.execute("SET @x = 'dirty'")
    assert pool.query("SELECT @x") == [(None,)]
    # A named lock taken by one borrower is released when its connection returns.
    observer = open_pool(max_size=1)
    assert pool.query("SELECT GET_LOCK('sp-session-lock', 0)") == [(1,)]
    assert observer.query("SELECT IS_USED_LOCK('sp-session-lock')") == [(None,)]
