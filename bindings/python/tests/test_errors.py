"""Server errors map to the PEP 249 classes, with errno and SQLSTATE."""

from __future__ import annotations

import pytest

import sharedpool


def test_duplicate_key_is_integrity_error(pool, table) -> None:
    pool.execute(f"INSERT INTO {table} (name) VALUES ('dup')")
    with pytest.raises(sharedpool.IntegrityError) as info:
        pool.execute(f"INSERT INTO {table} (name) VALUES ('dup')")
    assert info.value.errno == 1062
    assert info.value.sqlstate == "23000"
    assert "1062" in str(info.value) and "23000" in str(info.value)
    # (errno, message) as MySQLdb and PyMySQL: SQLAlchemy reads args[0].
    errno, message = info.value.args
    assert errno == 1062 and "Duplicate entry" in message and "1062" not in message
    assert str(info.value) == f"(1062 23000) {message}"


def test_client_side_errors_have_a_message_only(pool) -> None:
    with pytest.raises(sharedpool.ProgrammingError) as info:
        pool.query("SELECT %s, %s", (1,))
    assert info.value.errno is None and len(info.value.args) == 1
    assert "not enough" in str(info.value)


def test_syntax_and_unknown_table_are_programming_errors(pool) -> None:
    with pytest.raises(sharedpool.ProgrammingError) as info:
        pool.query("SELEC 1")
    assert info.value.errno == 1064 and info.value.sqlstate == "42000"
    with pytest.raises(sharedpool.ProgrammingError) as info:
        pool.query("SELECT * FROM no_such_table")
    assert info.value.errno == 1146 and info.value.sqlstate == "42S02"


def test_out_of_range_is_data_error(pool, table) -> None:
    with pytest.raises(sharedpool.DataError) as info:
        pool.execute(f"INSERT INTO {table} (name) VALUES (%s)", ("x" * 51,))
    assert info.value.errno == 1406
    assert info.value.sqlstate.startswith("22")


def test_server_error_keeps_connection_usable(open_pool) -> None:
    pool = open_pool(max_size=1)
    with pool.connection() as conn:
        cur = conn.cursor()
        with pytest.raises(sharedpool.ProgrammingError):
            cur.execute("SELECT * FROM no_such_table")
        cur.execute("SELECT 2")
        assert cur.fetchone() == (2,)
    assert pool.query("SELECT 3") == [(3,)]


def test_killed_connection_is_operational_error(open_pool) -> None:
    pool = open_pool(max_size=2)
    victim = pool.connection(autocommit=True)
    (cid,) = victim.execute("SELECT CONNECTION_ID()").fetchone()
    pool.execute(f"KILL {int(cid)}")
    with pytest.raises(sharedpool.OperationalError):
        victim.execute("SELECT 1")
    victim.close()
    assert pool.query("SELECT 1") == [(1,)]


def test_lock_wait_timeout_is_operational_error(pool, table) -> None:
    pool.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'row')")
    with pool.connection() as a, pool.connection() as b:
        a.execute(f"SELECT * FROM {table} WHERE id = 1 FOR UPDATE")
        b.execute("SET SESSION innodb_lock_wait_timeout = 1")
        with pytest.raises(sharedpool.OperationalError) as info:
            b.execute(f"UPDATE {table} SET n = 1 WHERE id = 1")
        assert info.value.errno == 1205
