"""Where the benchmarks keep their data: every Redis database number and database name comes
from the environment (bench/env.py), so two runs on one machine, or a run beside `make test`
(which empties Redis database 15), do not disturb each other."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.bench

BASE = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/crm",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "PATH": "/usr/bin:/bin",
}


def where(code: str, **env) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, '.'); {code}"],
        cwd=ROOT,
        env={**BASE, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split()


SETTINGS = (
    "import django; django.setup(); from django.conf import settings;"
    " print(settings.REDIS_URL, settings.DATABASES['default']['NAME'])"
)


@pytest.mark.parametrize(
    ("module", "database", "default_db"),
    [
        ("bench.outbox", "crm_bench_outbox", "11"),
        ("bench.scoping", "crm_bench", "12"),
        ("bench.partner_import", "crm_bench_import", "12"),
    ],
)
def test_a_benchmark_on_the_test_settings_never_uses_the_tests_redis_database(
    module, database, default_db
):
    redis, name = where(f"import {module}; {SETTINGS}")
    assert redis == f"redis://127.0.0.1:6379/{default_db}" and name == database
    redis, name = where(
        f"import {module}; {SETTINGS}",
        BENCH_REDIS_URL="redis://127.0.0.1:6379/9",
        BENCH_DATABASE_SUFFIX="_anna",
    )
    assert redis == "redis://127.0.0.1:6379/9" and name == database + "_anna"


def test_the_page_benchmarks_take_their_redis_databases_and_scale_from_the_environment():
    code = (
        "from bench import env, partners as bp;"
        " print(bp.settings_env()['REDIS_URL'], bp.DATABASE, *env.child_redis_urls())"
    )
    assert where(code) == [
        "redis://127.0.0.1:6379/12",
        "crm_bench_partners",
        "redis://127.0.0.1:6379/13",
        "redis://127.0.0.1:6379/14",
    ]
    assert where(
        code,
        BENCH_REDIS_URL="redis://127.0.0.1:6379/8",
        BENCH_REDIS_CHILD_DBS="9,10",
        BENCH_SCALE="0.1",
        BENCH_DATABASE_SUFFIX="_anna",
    ) == [
        "redis://127.0.0.1:6379/8",
        "crm_bench_partners_s0_1_anna",
        "redis://127.0.0.1:6379/9",
        "redis://127.0.0.1:6379/10",
    ]


def test_every_benchmark_count_follows_the_scale():
    code = (
        "from bench import env; print(env.scaled(1_000_000), env.scaled(50_000),"
        " env.scaled(50_000, override='BENCH_MESSAGES'))"
    )
    assert where(code, BENCH_SCALE="0.01") == ["10000", "500", "500"]
    assert where(code, BENCH_SCALE="0.01", BENCH_MESSAGES="70") == ["10000", "500", "70"]
    assert where(code) == ["1000000", "50000", "50000"]
