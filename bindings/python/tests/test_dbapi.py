"""PEP 249 Connection and Cursor."""

from __future__ import annotations

import pytest

import sharedpool

from conftest import unique_name


def test_cursor_api(pool, table) -> None:
    with pool.connection() as conn:
        assert isinstance(conn, sharedpool.Connection)
        cur = conn.cursor()
        assert cur.rowcount == -1 and cur.description is None and cur.arraysize == 1
        cur.execute(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", ("a", 1))
        assert cur.rowcount == 1
        first_id = cur.lastrowid
        assert isinstance(first_id, int) and first_id > 0
        cur.executemany(f"INSERT INTO {table} (name, n) VALUES (%s, %s)", [("b", 2), ("c", 3), ("d", 4)])
        assert cur.rowcount == 3
        cur.execute(f"SELECT id, name, n FROM {table} ORDER BY id")
        assert cur.rowcount == 4
        assert [d[0] for d in cur.description] == ["id", "name", "n"]
        assert all(len(d) == 7 for d in cur.description)
        assert cur.description[0][6] is False  # PRIMARY KEY: NOT NULL
        assert cur.description[2][6] is True
        assert cur.fetchone() == (first_id, "a", 1)
        assert [r[1] for r in cur.fetchmany(2)] == ["b", "c"]
        cur.arraysize = 5
        assert [r[1] for r in cur.fetchmany()] == ["d"]
        assert cur.fetchone() is None
        assert cur.fetchall() == []
        cur.execute(f"SELECT name FROM {table} WHERE n %% 2 = %s ORDER BY n", (0,))
        assert [r for (r,) in cur] == ["b", "d"]
        cur.execute(f"SELECT name FROM {table} WHERE name = %(name)s", {"name": "c"})
        assert cur.fetchall() == [("c",)]
        cur.execute(f"UPDATE {table} SET n = 0")
        assert cur.description is None
        with pytest.raises(sharedpool.ProgrammingError):
            cur.fetchone()
        cur.close()
        assert cur.closed
        with pytest.raises(sharedpool.InterfaceError):
            cur.execute("SELECT 1")
        assert conn.execute("SELECT 7").fetchone() == (7,)
        conn.commit()
    assert pool.query(f"SELECT SUM(n) FROM {table}") == [(0,)]


def test_commit_rollback(pool, table) -> None:
    conn = pool.connection()
    assert conn.autocommit is False
    conn.cursor().execute(f"INSERT INTO {table} (name) VALUES ('kept')")
    conn.commit()
    conn.cursor().execute(f"INSERT INTO {table} (name) VALUES ('dropped')")
    conn.rollback()
    conn.close()
    assert conn.closed
    with pytest.raises(sharedpool.InterfaceError, match="already closed"):
        conn.close()  # PEP 249 / dbapi20: a second close is an error
    with pytest.raises(sharedpool.InterfaceError):
        conn.cursor()
    assert pool.query(f"SELECT name FROM {table}") == [("kept",)]


def test_context_manager_rolls_back_on_exception(pool, table) -> None:
    with pytest.raises(RuntimeError):
        with pool.connection() as conn:
            conn.cursor().execute(f"INSERT INTO {table} (name) VALUES ('x')")
            raise RuntimeError("boom")
    assert conn.closed
    assert pool.query(f"SELECT COUNT(*) FROM {table}") == [(0,)]


def test_uncommitted_transaction_is_rolled_back_at_exit(pool, table) -> None:
    with pool.connection() as conn:
        conn.cursor().execute(f"INSERT INTO {table} (name) VALUES ('x')")
    assert pool.query(f"SELECT COUNT(*) FROM {table}") == [(0,)]
    with pool.connection(autocommit=True) as conn:
        conn.cursor().execute(f"INSERT INTO {table} (name) VALUES ('y')")
    assert pool.query(f"SELECT name FROM {table}") == [("y",)]


def test_connection_returns_to_pool(open_pool) -> None:
    pool = open_pool(max_size=1)
    for i in range(5):
        with pool.connection(label=f"borrower-{i}") as conn:
            conn.execute("SELECT 1")
    assert pool.stats()["total"] == 1
    assert pool.stats()["active"] == 0


def _session_counters(conn) -> dict[str, int]:
    cur = conn.cursor()
    cur.execute(
        "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.SESSION_STATUS"
        " WHERE VARIABLE_NAME IN ('COM_BEGIN', 'COM_ROLLBACK', 'COM_COMMIT', 'COM_SET_OPTION')"
    )
    return {name.lower(): int(value) for name, value in cur.fetchall()}


def test_a_borrow_for_one_read_costs_no_extra_round_trip(open_pool, table) -> None:
    """The PEP 249 path: the first statement opens the transaction (autocommit off in the
    session, no BEGIN) and a return rolls back only what the server says is open."""
    pool = open_pool(max_size=1)
    with pool.connection() as conn:  # switches the session once
        conn.execute("SELECT 1")
    with pool.connection() as conn:
        before = _session_counters(conn)
        conn.execute("SELECT 1")
    with pool.connection() as conn:
        after = _session_counters(conn)
        assert conn.execute("SELECT @@autocommit").fetchone() == (0,)
        conn.execute(f"SELECT COUNT(*) FROM {table}")  # InnoDB: the transaction is open
    with pool.connection() as conn:
        after_read = _session_counters(conn)
    assert {k: after[k] - before[k] for k in before} == dict.fromkeys(before, 0)
    assert after_read["com_rollback"] - after["com_rollback"] == 1
    assert after_read["com_begin"] == after["com_begin"]
    # A pool.query borrower gets the default mode back.
    assert pool.query("SELECT @@autocommit") == [(1,)]
    with pool.connection(autocommit=True) as conn:
        assert conn.execute("SELECT @@autocommit").fetchone() == (1,)
        conn.autocommit = False
        conn.execute(f"INSERT INTO {table} (name) VALUES ('dropped')")
    assert pool.query(f"SELECT COUNT(*) FROM {table}") == [(0,)]


def test_timeout_raises_pool_timeout(open_pool) -> None:
    pool = open_pool(max_size=1, acquire_timeout_ms=100)
    with pool.connection():
        with pytest.raises(sharedpool.PoolTimeout):
            pool.connection(timeout=0.05)
        with pytest.raises(sharedpool.PoolTimeout):
            pool.query("SELECT 1")  # the pool's default acquire_timeout_ms
    assert pool.stats()["timeouts_total"] >= 2
    assert pool.query("SELECT 1") == [(1,)]
    with pytest.raises(ValueError):
        pool.connection(timeout=-1)


def test_discard_closes_the_connection(open_pool) -> None:
    pool = open_pool(max_size=1)
    conn = pool.connection()
    (cid,) = conn.execute("SELECT CONNECTION_ID()").fetchone()
    conn.discard()
    assert conn.closed
    assert pool.query("SELECT CONNECTION_ID()")[0][0] != cid


def test_placeholders_follow_no_backslash_escapes(pool, table) -> None:
    # With NO_BACKSLASH_ESCAPES, 'x\' is a whole literal, so '%s' after it is a literal too: the
    # parameter must not be spliced into it (that turned the WHERE clause true).
    trap = f"SELECT COUNT(*) FROM {table} WHERE 1=0 AND 'x\\' <> '%s'"
    with pool.connection() as conn:
        conn.execute(f"INSERT INTO {table} (name, n) VALUES ('a', 1)")
        cur = conn.cursor()
        cur.execute("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'")
        with pytest.raises(sharedpool.ProgrammingError):
            cur.execute(trap, (" OR 1=1 -- ",))
        cur.execute("SELECT 'x\\', %s", ("it's \\ here",))
        assert cur.fetchall() == [("x\\", "it's \\ here")]


def test_close_inside_with_block_is_fine(pool) -> None:
    with pool.connection() as conn:
        conn.close()
    assert conn.closed


def test_connection_exposes_exception_classes(pool) -> None:
    with pool.connection() as conn:
        assert conn.Error is sharedpool.Error
        assert conn.IntegrityError is sharedpool.IntegrityError
        with pytest.raises(conn.ProgrammingError):
            conn.execute("SELEC 1")


def test_connect_borrows_from_the_shared_pool(dsn) -> None:
    name = unique_name("connect")
    with sharedpool.open(dsn, pool_name=name, max_size=2) as pool:
        conn = sharedpool.connect(dsn, pool_name=name, max_size=2)
        assert pool.stats()["refs"] == 2 and pool.stats()["active"] == 1
        (cid,) = conn.execute("SELECT CONNECTION_ID()").fetchone()
        conn.close()
        s = pool.stats()
        assert s["refs"] == 1 and s["active"] == 0 and s["idle"] == 1
        # The next connect() gets the same (warm) connection back.
        with sharedpool.connect(dsn, pool_name=name, max_size=2) as again:
            assert again.execute("SELECT CONNECTION_ID()").fetchone() == (cid,)
        assert pool.stats()["refs"] == 1


def test_connect_holds_the_pool_while_borrowed(dsn) -> None:
    name = unique_name("connect")
    conn = sharedpool.connect(dsn, pool_name=name)
    # The pool lives while the connection is out, even with no other reference.
    with sharedpool.open(dsn, pool_name=name) as pool:
        assert pool.stats()["active"] == 1
    assert conn.execute("SELECT 5").fetchone() == (5,)
    conn.close()
    with pytest.raises(sharedpool.InterfaceError):
        conn.cursor()


def test_connect_timeout_and_bad_options(dsn) -> None:
    name = unique_name("connect")
    with sharedpool.connect(dsn, pool_name=name, max_size=1) as held:
        with pytest.raises(sharedpool.PoolTimeout):
            sharedpool.connect(dsn, timeout=0.05, pool_name=name, max_size=1)
        assert held.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(sharedpool.InterfaceError, match="no_such_option"):
        sharedpool.connect(dsn, no_such_option=1)
