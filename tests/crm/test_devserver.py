"""The development server of `make run` gives back the database connections of its threads."""

import subprocess
import sys
import urllib.request

import psycopg
import pytest
from django.conf import settings

from tests.conftest import ROOT, free_port, subprocess_env, wait_for

pytestmark = pytest.mark.django_db

APP = "crm-devserver-test"


def _server_connections() -> int:
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname=db["NAME"],
        autocommit=True,
    ) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP]
        ).fetchone()[0]


def test_make_run_leaves_no_more_database_connections_than_workers_after_200_requests():
    """Under `make run` (runserver, a thread per browser connection) with persistent
    connections, every finished thread's database connection is closed: after 200 requests,
    each on a connection of its own, the server holds at most its start-up connection."""
    port = free_port()
    env = subprocess_env(DATABASE_CONN_MAX_AGE="60")
    env["DATABASE_URL"] += f"?application_name={APP}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:

        def answers():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    return True
            except urllib.error.HTTPError:
                return True  # 503 without a worker's heartbeat: the page still ran
            except OSError:
                return False

        assert wait_for(answers, timeout=60), "the development server never answered"
        for _ in range(200):
            assert answers()
        # The last thread closes its connection just after its answer is sent.
        assert wait_for(lambda: _server_connections() <= 1, timeout=5), (
            f"{_server_connections()} connections left open by the development server"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
