"""/healthz: database, Redis and the worker's heartbeat, 503 with the reason when one is down."""

import datetime
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from crm import health
from crm.models import WorkerHeartbeat
from tests.conftest import free_port, subprocess_env, wait_for

pytestmark = pytest.mark.django_db


def get_health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def test_all_green_with_a_fresh_heartbeat(client):
    health.record_heartbeat(hostname="worker@test")
    status, body = get_health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}
    assert body["checks"]["worker"]["ok"] is True
    assert body["checks"]["worker"]["detail"]["worker"] == "worker@test"
    assert body["checks"]["worker"]["detail"]["age_seconds"] < 5


def test_no_heartbeat_yet_is_503(client):
    status, body = get_health(client)
    assert status == 503
    assert "no heartbeat yet" in body["checks"]["worker"]["error"]


def test_an_old_heartbeat_is_503(client, settings):
    WorkerHeartbeat.objects.create(
        queue="celery",
        beat_at=timezone.now() - datetime.timedelta(seconds=settings.HEARTBEAT_MAX_AGE + 5),
    )
    status, body = get_health(client)
    assert status == 503
    assert body["checks"]["worker"]["error"] == "heartbeat too old"
    assert body["checks"]["worker"]["detail"]["age_seconds"] > settings.HEARTBEAT_MAX_AGE


def test_redis_unreachable_is_503_with_the_reason(client, settings):
    health.record_heartbeat()
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    status, body = get_health(client)
    assert status == 503
    assert body["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_healthz_needs_no_login_and_is_never_cached(client):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


def _gunicorn(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.prefix) / "bin" / "gunicorn"),
            "crm.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _fetch(url: str) -> tuple[int, dict] | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return None


def test_a_stopped_postgresql_makes_healthz_503_with_the_reason(private_postgres):
    """A real PostgreSQL server serves a real gunicorn; then the server is stopped."""
    port = free_port()
    env = subprocess_env(DATABASE_URL=private_postgres.url, DJANGO_SETTINGS_MODULE="tests.settings")
    server = _gunicorn(env, port)
    try:
        first = wait_for(lambda: _fetch(f"http://127.0.0.1:{port}/healthz"), timeout=30)
        assert first is not None, server.stderr.read1().decode() if server.poll() else "no answer"
        assert first[1]["checks"]["database"] == {"ok": True}

        private_postgres.stop()

        status, body = _fetch(f"http://127.0.0.1:{port}/healthz")
        assert status == 503
        assert body["status"] == "error"
        assert body["checks"]["database"]["ok"] is False
        error = body["checks"]["database"]["error"]
        assert error.startswith("OperationalError: connection")
        assert f"port {private_postgres.port} failed" in error
        assert body["checks"]["worker"]["error"].startswith("unknown")
    finally:
        server.terminate()
        server.wait(timeout=10)
