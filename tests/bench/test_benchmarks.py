"""Every benchmark still runs: each ``bench/*.py`` is started as ``make bench-…`` starts it, at
a tiny scale (``BENCH_SCALE``), through its set-up, its data build and one measured step. A
benchmark that no longer runs would otherwise go unnoticed until somebody needs its figures.

They use databases of their own: each benchmark's database with the suffix ``_`` + this test
run's database name (``crm_bench_outbox_test_crm`` …), copied from a template migrated once
and kept (``crm_bench_template_…``), and their own Redis database (``TEST_BENCH_REDIS_URL``,
default database 14 of the test Redis server; the tests use 15). No figure is asserted: the
timed ones decide nothing on a busy machine, so only that each run ends well and prints its
result.
"""

import os
import shutil
import subprocess
import sys

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from tests.conftest import ROOT

# one worker runs them all under pytest-xdist: they share the benchmarks' Redis databases
pytestmark = [pytest.mark.bench, pytest.mark.xdist_group("bench")]


def _server_url(db: dict, name: str) -> str:
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER'] or ''}{password}@{host}/{name}"


class Benches:
    """Runs benchmarks with the settings of this test run."""

    def __init__(self):
        self.db = connections["default"].settings_dict  # NAME: this run's test database
        self.suffix = "_" + self.db["NAME"]
        self.template = "crm_bench_template" + self.suffix
        redis = settings.REDIS_URL.rsplit("/", 1)[0]
        self.redis_url = os.environ.get("TEST_BENCH_REDIS_URL", redis + "/14")
        self.admin = _server_url(self.db, "postgres")

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DJANGO_"))}
        env.update(
            {
                "DATABASE_URL": _server_url(self.db, "crm"),  # only its server is used
                "REDIS_URL": self.redis_url,
                "BENCH_REDIS_URL": self.redis_url,
                "BENCH_DATABASE_SUFFIX": self.suffix,
                "BENCH_REDIS_CHILD_DBS": os.environ.get("TEST_BENCH_REDIS_CHILD_DBS", "13,14"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("TEST_REDIS_URL", None)
        env.update(extra)
        return env

    def _sql(self, statement: str) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(statement)

    def migrate_template(self) -> None:
        """The template all benchmark databases are copied from: migrated here (kept, so a
        later run only checks that nothing is new)."""
        with psycopg.connect(self.admin, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.template])
            if not found.fetchone():
                conn.execute(f'CREATE DATABASE "{self.template}"')
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=self.env(
                DJANGO_SETTINGS_MODULE="tests.settings",
                DATABASE_URL=_server_url(self.db, self.template),
                TEST_REDIS_URL=self.redis_url,
            ),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def fresh(self, name: str) -> None:
        """The benchmark database ``name`` (suffixed), a new copy of the template."""
        full = name + self.suffix
        self._sql(f'DROP DATABASE IF EXISTS "{full}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{full}" TEMPLATE "{self.template}"')

    def drop(self, name: str) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{name + self.suffix}" WITH (FORCE)')

    def run(self, script: str, *args: str, timeout: float = 240, **extra) -> str:
        result = subprocess.run(
            [sys.executable, script, *args],
            cwd=ROOT,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{script} ended with {result.returncode}:\n{output[-6000:]}"
        return output


@pytest.fixture(scope="module")
def benches(django_db_blocker):
    with django_db_blocker.unblock():
        connections.close_all()
    runner = Benches()
    runner.migrate_template()
    yield runner


PARTNERS = "crm_bench_partners_s0_001"  # bench.partners.database_for(0.001)
TINY = {"BENCH_SCALE": "0.001", "BENCH_SECONDS": "1", "BENCH_CLIENTS": "1"}
SCREEN = "partner page / rep"


@pytest.fixture(scope="module")
def partners_database(benches):
    """The partners' data set at scale 0.001, built by ``bench/partners.py`` (``--explain``:
    the build, then the query plans of one screen, no timed run)."""
    benches.fresh(PARTNERS)
    output = benches.run("bench/partners.py", "--explain", BENCH_ONLY=SCREEN, **TINY)
    assert "load at scale 0.001" in output
    yield
    benches.drop(PARTNERS)


def test_the_outbox_benchmark_runs_and_sends_each_message_once(benches):
    benches.fresh("crm_bench_outbox")
    try:
        output = benches.run(
            "bench/outbox.py",
            BENCH_MESSAGES="60",
            BENCH_WORKERS="1",
            BENCH_BATCH="20",
            BENCH_IDLE_SECONDS="0.3",
        )
    finally:
        benches.drop("crm_bench_outbox")
    assert "raw, minimal smtplib script, 1 connection:" in output
    assert "queued + sent:" in output
    assert "every message sent exactly once: yes" in output


def test_the_scoping_benchmark_builds_its_rows_and_times_the_pages(benches):
    benches.fresh("crm_bench")
    try:
        output = benches.run("bench/scoping.py", BENCH_SCALE="0.001", BENCH_RUNS="2")
    finally:
        benches.drop("crm_bench")
    assert "building the data set: 300 users, 1,000 rows" in output
    assert "worst ratio" in output


def test_the_import_benchmark_imports_its_file_beside_the_raw_copy(benches, tmp_path):
    benches.fresh("crm_bench_import")
    try:
        output = benches.run("bench/partner_import.py", BENCH_SCALE="0.0003")
    finally:
        benches.drop("crm_bench_import")
    assert "PostgreSQL, 300 partner rows" in output
    assert "created 300, updated 0, skipped 0, failed 0; done" in output
    assert "baseline (mean of the two raw COPYs)" in output


def test_the_partners_benchmark_measures_a_screen(benches, partners_database):
    output = benches.run("bench/partners.py", BENCH_ONLY=SCREEN, BENCH_WEB_WORKERS="1", **TINY)
    assert "partner page" in output and "p95" in output


def test_the_activities_benchmark_adds_its_activities_and_measures_the_home_page(
    benches, partners_database
):
    output = benches.run("bench/activities.py", BENCH_ONLY="home", BENCH_WEB_WORKERS="1", **TINY)
    assert "activities: writing" in output or "already there" in output
    assert "home page (my day)" in output
    assert "Nightly no-next-event check" in output


@pytest.mark.skipif(not shutil.which("valgrind"), reason="needs valgrind")
def test_the_instructions_benchmark_counts_a_page(benches, partners_database):
    output = benches.run(
        "bench/instructions.py",
        BENCH_SCALE="0.001",
        BENCH_ONLY=SCREEN,
        BENCH_REQUESTS="1",
        BENCH_WARMUP="1",
        timeout=280,
    )
    assert "M instructions" in output
    assert "partner page" in output


def test_the_query_builder_benchmark_measures_its_three_parts(benches, partners_database):
    output = benches.run(
        "bench/queries.py",
        BENCH_WEB_WORKERS="1",
        BENCH_RUNS="1",
        BENCH_EXPORT_ROWS="200",
        timeout=400,
        **TINY,
    )
    assert "(a) A screen page" in output and "query page, engine" in output
    assert "(b) A grouped report" in output and "engine / fastest SQL" in output
    assert "XLSX, the query builder's export" in output and "CSV, COPY" in output
    assert "peak memory of the exports" in output


def test_the_documents_upload_benchmark_measures_the_web_workers_memory(benches):
    benches.fresh("crm_bench_documents")
    try:
        output = benches.run("bench/documents_upload.py", BENCH_UPLOAD_MB="2")
    finally:
        benches.drop("crm_bench_documents")
    assert "web worker RSS, idle" in output
    assert "peak during the 2 MB upload" in output and "above idle" in output
    assert "plain streamed copy to the same disk" in output
