"""What every benchmark takes from the environment: the scale of its data set, the name of its
PostgreSQL database and its Redis database, so that a small run is possible and two runs on
one machine (two engineers, or a benchmark beside ``make test``) stay apart.

- ``BENCH_SCALE`` (1.0): the size of every data set; 0.01 builds a hundredth (the tests run
  each benchmark at a tiny scale). A benchmark's own count (``BENCH_ROWS``, ``BENCH_MESSAGES``,
  ``BENCH_ACTIVITIES``) still wins when it is set.
- ``BENCH_DATABASE_SUFFIX`` (empty): appended to every benchmark database's name
  (``crm_bench_outbox`` + ``_alice``), on the server of ``DATABASE_URL``.
- ``BENCH_REDIS_URL``: the Redis database of the run (its broker, cache, sessions, rate
  limits); by default database 12 of ``REDIS_URL``'s server (11 for ``make bench-outbox``,
  which empties it). Never 15: ``make test`` empties that one.
- ``BENCH_REDIS_CHILD_DBS`` ("13,14"): the Redis databases ``make bench-instructions`` gives
  its two callgrind children, one each, emptied before each screen.
"""

import os
import re

DEFAULT_REDIS_DB = 12
DEFAULT_CHILD_REDIS_DBS = "13,14"


def scale() -> float:
    value = float(os.environ.get("BENCH_SCALE") or 1.0)
    if value <= 0:
        raise SystemExit(f"BENCH_SCALE must be above 0, not {value}")
    return value


def scaled(full: int, *, override: str = "", minimum: int = 1) -> int:
    """``full`` at ``BENCH_SCALE``, unless the benchmark's own variable ``override`` is set."""
    if override and os.environ.get(override):
        return int(os.environ[override])
    return max(minimum, round(full * scale()))


def base_database_url() -> str:
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")


def database_name(name: str) -> str:
    return name + os.environ.get("BENCH_DATABASE_SUFFIX", "")


def database_url(name: str) -> str:
    """The URL of the benchmark database ``name`` (suffixed) on ``DATABASE_URL``'s server."""
    return base_database_url().rsplit("/", 1)[0] + "/" + database_name(name)


def admin_database_url() -> str:
    return base_database_url().rsplit("/", 1)[0] + "/postgres"


def _with_db(url: str, number: int | str) -> str:
    return re.sub(r"(/\d*)?$", f"/{number}", url.rstrip("/"), count=1)


def redis_url(default_db: int = DEFAULT_REDIS_DB) -> str:
    """``BENCH_REDIS_URL``, else database ``default_db`` of ``REDIS_URL``'s server."""
    if os.environ.get("BENCH_REDIS_URL"):
        return os.environ["BENCH_REDIS_URL"]
    return _with_db(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), default_db)


def child_redis_urls() -> list[str]:
    """The Redis databases of ``bench-instructions``' children, on the run's Redis server."""
    numbers = os.environ.get("BENCH_REDIS_CHILD_DBS", DEFAULT_CHILD_REDIS_DBS)
    return [_with_db(redis_url(), n.strip()) for n in numbers.split(",") if n.strip()]


def ensure_database(full_name: str) -> None:
    """Creates the database ``full_name`` (a ``database_name``) when it is missing."""
    import psycopg

    with psycopg.connect(admin_database_url(), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [full_name])
        if not found.fetchone():
            conn.execute(f'CREATE DATABASE "{full_name}"')
