"""Demo department data generator (演示数据生成): fills the five ``dept_*`` databases.

Realistic, deterministic data for 大连高新区: 8890 petitions, enterprises and their
certifications, applications and commitments, 自创区 major projects and indicators, WeChat posts
and information submissions, over one of two windows (:mod:`gxq.demo.window`):

- a **rolling window** ending today (the default of the command line; ``--today`` picks another
  day): the scheduled runs of the current week, month and quarter find real figures;
- **the demo year** 2021 and its boundaries (2020-12-01 … 2022-01-31; ``--demo-year``), fixed
  rows for tests and benchmarks and for any period of 2021.

    seed({"dept_petitions": "sqlite:////abs/dept_petitions.db", ...}, scale=1.0, seed=2021,
         window=window.DEMO_YEAR)     # or window.rolling(date(2026, 12, 3)); None: rolling, today

The same ``seed``, ``scale`` and window always give the same rows (each database draws from its
own ``random.Random``, never from the clock). ``scale`` multiplies the volume of petitions and
enterprises; at large scale rows are generated and written in bounded chunks: PostgreSQL gets
them through ``COPY ... FROM STDIN``, SQLite through ``executemany`` inside one transaction.

What the data deliberately contains (so the DAGs have something to cope with):

- petitions (``P<yyyymmdd><seq>``, ~400 a week at scale 1, fewer at weekends and holidays; 供暖
  November–March, 暴雨积水 July–August): ~3% late dispatches, ~4% late feedbacks, ~1% never fed
  back (the 超期未反馈 backlog), ~1% 已撤销, 待分拨/办理中 near the data's end (extracted
  2022-02-01 00:00), ~95% satisfied with some units below target; ~0.5% each of
  missing_received_at, dispatched_before_received, feedback_before_received, bad_satisfaction;
  '' instead of NULL in some nullable columns (NULL on PostgreSQL timestamps); phone numbers and
  18-character ID numbers inside ``content``; rarely two ``lead`` units on one petition;
- policy: ~3% abnormal and ~1% dishonest enterprises (at least one of each holding a 2021
  高新技术企业 certification), first and repeat 高新技术企业 certifications, a same-day duplicate,
  certifications and an application for unknown credit codes, ``ip_pledge_interest`` amounts above
  500000 and two approved without approved_at, commitments with shortfalls and NULL fulfilment;
- innovation: projects starting in 2021 and 2022, unreported months, months reported twice
  (the later report wins), progress above 100, an indicator with annual target 0, missing months;
- publicity: weeks with fewer than 2 posts or submissions;
- supervision: the plan's 任务清单 (every quantified task) and a year of monthly progress reports
  in which every status appears (see :mod:`gxq.demo.supervision`).

Command line::

    python -m gxq.demo.generate                       # SQLite files in data/, rolling window ending today
    python -m gxq.demo.generate --demo-year --data-dir /tmp/demo --scale 0.2   # the 2021 demo year
    python -m gxq.demo.generate --pg-url-prefix postgresql+psycopg2://postgres@127.0.0.1:5432/ \\
        --pg-db-prefix gxqdemo_ --scale 100          # databases gxqdemo_dept_petitions, ...
    python -m gxq.demo.generate --url postgresql+psycopg2://postgres@db:5432/depts   # all four in one
    python -m gxq.demo.generate --from-connections    # wherever AIRFLOW_CONN_DEPT_* point (compose init)
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gxq import connections
from gxq.connections import data_dir as default_dir
from gxq.progress import Progress

from . import innovation, petitions, policy, publicity, schema, supervision
from .window import DEMO_YEAR, Window, rolling

GENERATORS: dict[str, Callable[[random.Random, float, Window], Iterator[tuple[str, tuple]]]] = {
    "dept_petitions": petitions.generate,
    "dept_policy": policy.generate,
    "dept_innovation": innovation.generate,
    "dept_publicity": publicity.generate,
    "dept_supervision": supervision.generate,
}
CONN_IDS = tuple(GENERATORS)

SQLITE_CHUNK = 20_000
PG_CHUNK = 20_000

# How each table of the last seed() was written: {table: "copy" | "executemany"} (for tests and logs).
last_methods: dict[str, str] = {}


def columns(conn_id: str) -> dict[str, list[tuple[str, str]]]:
    """``{table: [(column, type placeholder)]}`` read from the contract DDL in schema.py."""
    out = {}
    for stmt in schema.DDL[conn_id]:
        m = re.match(r"\s*CREATE TABLE (\w+) \((.*)\)\s*$", stmt, re.DOTALL)
        table, body = m.group(1), m.group(2)
        cols = []
        for part in body.split(","):
            name, typ = part.split()[:2]
            cols.append((name, typ.strip("{}")))
        out[table] = cols
    return out


# --- writers -------------------------------------------------------------------------------------
class _Writer:
    """Buffers rows per table and flushes them in chunks; counts rows."""

    method = ""
    chunk = 10_000

    def __init__(self, dbapi_conn, conn_id: str) -> None:
        self.conn = dbapi_conn
        self.cols = columns(conn_id)
        self.buffers: dict[str, list[tuple]] = {t: [] for t in self.cols}
        self.counts: dict[str, int] = {t: 0 for t in self.cols}

    def add(self, table: str, row: tuple) -> None:
        buf = self.buffers[table]
        buf.append(row)
        if len(buf) >= self.chunk:
            self.flush(table)

    def flush(self, table: str) -> None:
        buf = self.buffers[table]
        if buf:
            self.write(table, buf)
            self.counts[table] += len(buf)
            last_methods[table] = self.method
            self.buffers[table] = []

    def close(self) -> dict[str, int]:
        for table in self.buffers:
            self.flush(table)
        return self.counts

    def write(self, table: str, rows: list[tuple]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SqliteWriter(_Writer):
    method = "executemany"
    chunk = SQLITE_CHUNK

    def write(self, table: str, rows: list[tuple]) -> None:
        names = [c for c, _ in self.cols[table]]
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        self.conn.cursor().executemany(sql, rows)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line_formatter(types: list[str]) -> Callable[[tuple], str]:
    """A function turning one row into a line of COPY text format, compiled for the column types.

    Text is escaped only when it needs it (``isprintable`` is false for tab, newline and carriage
    return); '' in a timestamp, date, number or boolean column is the SQLite spelling of NULL.
    Compiled once per table so a row costs one call, not one call per value.
    """
    parts = []
    for i, typ in enumerate(types):
        v = f"r[{i}]"
        if typ == "TEXT":
            parts.append(f"(N if {v} is None else {v} if {v}.isprintable() and BS not in {v}"
                         f" else {v}.translate(ESC))")
        elif typ == "BOOL":
            parts.append(f"(N if {v} is None or {v} == '' else 't' if {v} else 'f')")
        else:
            parts.append(f"(N if {v} is None or {v} == '' else str({v}))")
    src = "def fmt(r):\n    return " + " + TAB + ".join(parts) + " + NL\n"
    namespace = {"N": "\\N", "BS": "\\", "ESC": _COPY_ESCAPES, "TAB": "\t", "NL": "\n"}
    exec(compile(src, f"<copy formatter {types}>", "exec"), namespace)  # noqa: S102 - source built above
    return namespace["fmt"]


class PostgresWriter(_Writer):
    """``COPY table FROM STDIN`` (text format) from an in-memory chunk; never row-by-row INSERT."""

    method = "copy"
    chunk = PG_CHUNK

    def __init__(self, dbapi_conn, conn_id: str) -> None:
        super().__init__(dbapi_conn, conn_id)
        self.formatters = {t: copy_line_formatter([typ for _, typ in cols]) for t, cols in self.cols.items()}

    def write(self, table: str, rows: list[tuple]) -> None:
        buf = io.StringIO("".join(map(self.formatters[table], rows)))
        names = ", ".join(c for c, _ in self.cols[table])
        self.conn.cursor().copy_expert(f"COPY {table} ({names}) FROM STDIN", buf, size=1 << 20)


# --- seeding -------------------------------------------------------------------------------------
def _engine(url: str):
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(url, poolclass=sa.pool.StaticPool, connect_args={"timeout": 60})
    # one connection for the DDL, the load and ANALYZE: new backends are costly on a busy server
    return sa.create_engine(url, poolclass=sa.pool.StaticPool)


def rng_for(seed: int, conn_id: str) -> random.Random:
    """One independent stream per database, so seeding a subset gives the same rows."""
    return random.Random(f"gxq-demo:{seed}:{conn_id}")


def seed_one(conn_id: str, url: str, scale: float = 1.0, seed: int = 2021, window: Window = DEMO_YEAR,
             progress=None, **options) -> dict[str, int]:
    """Drop, create and fill one department database; returns row counts per table.

    ``progress`` (a :class:`gxq.progress.Progress`) is advanced by every row written; ``options``
    go to the department's generator (the benchmark's 5,000 innovation projects)."""
    engine = _engine(url)
    try:
        schema.create_all(engine, conn_id, drop=True, with_indexes=False)
        raw = engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            if engine.dialect.name == "sqlite":
                cur = dbapi.cursor()
                cur.execute("PRAGMA synchronous=OFF")
                writer: _Writer = SqliteWriter(dbapi, conn_id)
            else:
                writer = PostgresWriter(dbapi, conn_id)
            add = writer.add
            rows = GENERATORS[conn_id](rng_for(seed, conn_id), scale, window, **options)
            if progress is None:
                for table, row in rows:
                    add(table, row)
            else:
                i = 0
                for i, (table, row) in enumerate(rows, 1):
                    add(table, row)
                    if i % 5000 == 0:
                        progress.update(5000)
                progress.update(i % 5000)
            counts = writer.close()
            cur = dbapi.cursor()
            # indexes after the load: much faster than maintaining them row by row
            for stmt in schema.INDEXES[conn_id]:
                cur.execute(stmt)
            if engine.dialect.name == "postgresql":
                for stmt in schema.PG_INDEXES.get(conn_id, []):
                    cur.execute(stmt)
                cur.execute(f"ANALYZE {', '.join(schema.TABLES[conn_id])}")
            dbapi.commit()
        finally:
            raw.close()
        return counts
    finally:
        engine.dispose()


def seed(urls: dict[str, str], scale: float = 1.0, seed: int = 2021, window: Window | None = None
         ) -> dict[str, int]:
    """Fill the given department databases (any subset of the four conn ids).

    ``urls`` maps conn ids to SQLAlchemy URLs; ``window``: :data:`DEMO_YEAR` or a rolling window
    (None: the rolling window ending today). Returns ``{table: row count}`` over all of them.
    """
    window = window or rolling()
    unknown = set(urls) - set(CONN_IDS)
    if unknown:
        raise ValueError(f"unknown department conn ids: {sorted(unknown)}")
    last_methods.clear()
    counts: dict[str, int] = {}
    for conn_id in CONN_IDS:
        if conn_id in urls:
            counts.update(seed_one(conn_id, urls[conn_id], scale=scale, seed=seed, window=window))
    return counts


def ensure_pg_databases(urls: Iterable[str]) -> None:
    """Create the PostgreSQL databases of ``urls`` that do not exist yet (one admin connection per server)."""
    by_server: dict[str, set[str]] = {}
    for url in urls:
        u = make_url(url)
        by_server.setdefault(u.set(database="postgres").render_as_string(hide_password=False), set()).add(u.database)
    for admin_url, names in by_server.items():
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as conn:
                existing = {n for (n,) in conn.execute(sa.text("SELECT datname FROM pg_database"))}
                for name in sorted(names - existing):
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()


def ensure_pg_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it does not exist yet."""
    ensure_pg_databases([url])


def urls_for(conn_ids: Iterable[str], data_dir: str | Path | None = None, pg_url_prefix: str | None = None,
             pg_db_prefix: str = "") -> dict[str, str]:
    if pg_url_prefix:
        prefix = pg_url_prefix if pg_url_prefix.endswith("/") else pg_url_prefix + "/"
        return {cid: f"{prefix}{pg_db_prefix}{cid}" for cid in conn_ids}
    if data_dir is None:
        data_dir = default_dir()
    folder = Path(data_dir).resolve()
    return {cid: f"sqlite:///{folder / (cid + '.db')}" for cid in conn_ids}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gxq.demo.generate", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="folder of the SQLite files <conn_id>.db (default: data/)")
    parser.add_argument("--pg-url-prefix", help="PostgreSQL server URL ending in '/', e.g. "
                        "postgresql+psycopg2://postgres@127.0.0.1:5432/")
    parser.add_argument("--pg-db-prefix", default="gxqdemo_", help="database name prefix (default gxqdemo_)")
    parser.add_argument("--url", help="one SQLAlchemy URL for every selected conn id (table names do not clash)")
    parser.add_argument("--from-connections", action="store_true",
                        help="seed the databases the connections resolve to (AIRFLOW_CONN_DEPT_* or data/)")
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier (petitions, enterprises)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--demo-year", action="store_true",
                        help="the fixed 2021 demo year (2020-12-01 … 2022-01-31) instead of a rolling window")
    parser.add_argument("--today", type=_day, help="last day of the rolling window, YYYY-MM-DD (default: today, "
                        "Asia/Shanghai)")
    parser.add_argument("--only", action="append", choices=CONN_IDS, help="seed only this conn id (repeatable)")
    args = parser.parse_args(argv)
    if sum(bool(x) for x in (args.data_dir, args.pg_url_prefix, args.url, args.from_connections)) > 1:
        parser.error("choose one of --data-dir, --pg-url-prefix, --url, --from-connections")
    if args.demo_year and args.today:
        parser.error("--today picks the end of a rolling window; --demo-year is the fixed 2021 year")
    window = DEMO_YEAR if args.demo_year else rolling(args.today)
    print(f"window: {window.describe()}")

    conn_ids = args.only or list(CONN_IDS)
    if args.url:
        urls = dict.fromkeys(conn_ids, args.url)
    elif args.from_connections:
        urls = {cid: connections.resolve(cid).sqlalchemy_url() for cid in conn_ids}
    else:
        urls = urls_for(conn_ids, args.data_dir, args.pg_url_prefix, args.pg_db_prefix)
    total_start = time.perf_counter()
    # Dedicated SQLite files (--data-dir) are built beside the target and moved into place at the
    # end, so an interrupted run never leaves a half-filled database that looks seeded.
    staged: list[tuple[Path, Path]] = []
    ensure_pg_databases(u for u in urls.values() if u.startswith("postgresql"))
    for cid in conn_ids:
        url = urls[cid]
        if url.startswith("sqlite") and not args.url and not args.from_connections:
            target = Path(url.split("sqlite:///", 1)[1])
            if not Path(f"{target}-wal").exists():
                tmp = target.with_name(target.name + ".tmp")
                tmp.unlink(missing_ok=True)
                staged.append((tmp, target))
                url = f"sqlite:///{tmp}"
        start = time.perf_counter()
        with Progress(cid, unit="rows") as progress:
            counts = seed_one(cid, url, scale=args.scale, seed=args.seed, window=window, progress=progress)
        where = urls[cid].rsplit("@", 1)[-1]  # never print a password
        print(f"{cid:16s} {time.perf_counter() - start:7.2f} s  {where}")
        for table, n in counts.items():
            print(f"    {table:18s} {n:>10,d}")
    for tmp, target in staged:
        Path(f"{target}-journal").unlink(missing_ok=True)
        os.replace(tmp, target)
    print(f"total {time.perf_counter() - total_start:.2f} s (scale {args.scale}, seed {args.seed})")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


if __name__ == "__main__":
    sys.exit(main())
