"""The ``mysql+sharedpool://`` SQLAlchemy dialect and pandas through it, on the real MariaDB."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

import sharedpool
from sharedpool.sqlalchemy import MySQLDialect_sharedpool, dsn_of

from conftest import unique_name


def sqla_url(dsn: str, **query: str) -> str:
    """The SQLAlchemy URL of a sharedpool DSN: same target, ``mysql+sharedpool`` scheme."""
    parts = urllib.parse.urlsplit(dsn)
    q = urllib.parse.urlencode(query)
    return urllib.parse.urlunsplit(parts._replace(scheme="mysql+sharedpool", query=q))


@pytest.fixture
def engine(dsn: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(sqla_url(dsn, pool_name=unique_name("sqla"), max_size="4"))
    yield eng
    eng.dispose()


@pytest.fixture
def table_name() -> Iterator[str]:
    yield f"sqla_{os.getpid()}_{unique_name('t').rsplit('-', 1)[1]}"


def test_entry_point_dialect_nullpool_and_url_options(engine: sa.Engine, dsn: str) -> None:
    assert isinstance(engine.dialect, MySQLDialect_sharedpool), "found through the entry point"
    assert isinstance(engine.pool, NullPool), "sharedpool pools: the engine does not"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1 + 1")).scalar_one() == 2
    pool = engine.dialect._pool  # type: ignore[attr-defined]
    assert pool is not None and pool.stats()["max_size"] == 4, "max_size from the URL"
    # Each checkout borrows the same few connections of the shared pool: no reconnect.
    for _ in range(5):
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    assert pool.stats()["total"] == 1


def test_dsn_of_quotes_credentials() -> None:
    url = sa.engine.make_url("mysql+sharedpool://u%40x:p%2Fw%3A@db.example:3307/app")
    assert dsn_of(url) == "mysql://u%40x:p%2Fw%3A@db.example:3307/app"
    assert "p%2Fw" not in repr(url), "SQLAlchemy masks the password; so must we everywhere"


def test_bad_option_is_a_clear_error(dsn: str) -> None:
    eng = sa.create_engine(sqla_url(dsn, max_sizee="4"))
    with pytest.raises(exc.InterfaceError, match="max_sizee"):
        eng.connect()


class Base(DeclarativeBase):
    pass


def user_model(name: str) -> type:
    class User(Base):
        __tablename__ = name
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(sa.String(80), unique=True)
        score: Mapped[int] = mapped_column(default=0)

    return User


def test_create_all_has_table_orm_round_trip(engine: sa.Engine, table_name: str) -> None:
    User = user_model(table_name)
    table = User.__table__  # type: ignore[attr-defined]
    assert not sa.inspect(engine).has_table(table_name)
    Base.metadata.create_all(engine, tables=[table])
    try:
        assert sa.inspect(engine).has_table(table_name)
        with Session(engine) as s:
            s.add_all([User(email="a@x", score=1), User(email="b@x", score=2)])
            s.commit()
        with Session(engine) as s:
            rows = s.scalars(sa.select(User).order_by(User.id)).all()
            assert [(u.email, u.score) for u in rows] == [("a@x", 1), ("b@x", 2)]
            rows[0].score = 10  # an UPDATE whose row count the ORM checks
            rows[1].score = 2  # unchanged value: still one row matched
            s.commit()
        with Session(engine) as s:
            assert s.scalar(sa.select(sa.func.sum(User.score))) == 12
            s.add(User(email="a@x"))
            with pytest.raises(exc.IntegrityError) as info:
                s.commit()
            assert info.value.orig.args[0] == 1062, "(errno, message) args, as MySQLdb"
    finally:
        Base.metadata.drop_all(engine, tables=[table])
    assert not sa.inspect(engine).has_table(table_name)


def test_transaction_rollback_and_commit(engine: sa.Engine, table_name: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {table_name} (id INT PRIMARY KEY) ENGINE=InnoDB")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"INSERT INTO {table_name} VALUES (1)")
            conn.rollback()
            conn.exec_driver_sql(f"INSERT INTO {table_name} VALUES (2)")
            conn.commit()
            conn.exec_driver_sql(f"INSERT INTO {table_name} VALUES (3)")
            # closed without commit: the pool rolls it back
        with pytest.raises(RuntimeError):
            with engine.begin() as conn:
                conn.exec_driver_sql(f"INSERT INTO {table_name} VALUES (4)")
                raise RuntimeError("abort")
        with engine.connect() as conn:
            ids = conn.exec_driver_sql(f"SELECT id FROM {table_name} ORDER BY id").scalars().all()
        assert ids == [2]
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"INSERT INTO {table_name} VALUES (5)")
        with engine.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table_name}").scalar() == 2
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table_name}")


def test_pandas_to_sql_and_read_sql(engine: sa.Engine, table_name: str) -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "ç"], "x": [0.5, 1.5, None]})
    try:
        assert frame.to_sql(table_name, engine, index=False) == 3
        back = pd.read_sql(f"SELECT id, name, x FROM {table_name} ORDER BY id", engine)
        assert back["id"].tolist() == [1, 2, 3]
        assert back["name"].tolist() == ["a", "b", "ç"]
        assert back["x"].iloc[:2].tolist() == [0.5, 1.5] and pd.isna(back["x"].iloc[2])
        more = pd.DataFrame({"id": [4], "name": ["d"], "x": [2.0]})
        more.to_sql(table_name, engine, index=False, if_exists="append")
        params = pd.read_sql(
            sa.text(f"SELECT name FROM {table_name} WHERE id > :n ORDER BY id"), engine, params={"n": 2}
        )
        assert params["name"].tolist() == ["ç", "d"]
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table_name}")


def test_engine_shares_the_pool_of_sharedpool_open(dsn: str) -> None:
    name = unique_name("sqla-shared")
    # client_found_rows (the dialect's default) is a session option: the same on both sides.
    with sharedpool.open(dsn, pool_name=name, max_size=3, client_found_rows=True) as pool:
        eng = sa.create_engine(sqla_url(dsn, pool_name=name, max_size="3"))
        with eng.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            assert pool.stats()["active"] == 1, "the engine's checkout is a borrow from the same pool"
        assert pool.stats()["active"] == 0
        assert pool.stats()["refs"] == 2, "the engine holds one reference"
        eng.dispose()


def test_stream_results_use_the_streaming_cursor(engine) -> None:
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True).exec_driver_sql(
            "SELECT seq, REPEAT('x', 10) FROM seq_1_to_100000"
        )
        cursor = result.cursor
        assert isinstance(cursor, sharedpool.SSCursor)
        n = 0
        for part in result.partitions(5000):
            if n == 0:
                assert cursor.rowcount == -1, "the rows are still streaming"
            n += len(part)
        assert n == 100000
    # pandas' chunked read_sql goes through stream_results.
    with engine.connect() as conn:
        chunks = pd.read_sql(sa.text("SELECT seq FROM seq_1_to_25000"), conn, chunksize=10000)
        assert [len(c) for c in chunks] == [10000, 10000, 5000]
