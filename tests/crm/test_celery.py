"""The real pipeline: beat -> Redis -> worker -> database, then /healthz turns green."""

import subprocess
import sys

import pytest

from crm.celery import app
from crm.models import WorkerHeartbeat
from tests.conftest import ROOT, subprocess_env, wait_for


def test_the_beat_schedule_is_in_code_and_expires():
    entry = app.conf.beat_schedule["worker-heartbeat"]
    assert entry["task"] == "crm.tasks.heartbeat"
    assert entry["options"]["expires"] < entry["schedule"] + 1


@pytest.mark.django_db(transaction=True)
def test_worker_and_beat_keep_the_heartbeat_fresh(client):
    env = subprocess_env(HEARTBEAT_INTERVAL="1")
    celery = [sys.executable, "-m", "celery", "-A", "crm"]
    worker = subprocess.Popen(
        [*celery, "worker", "--pool", "solo", "--loglevel", "WARNING", "--hostname", "test@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    beat = subprocess.Popen(
        [*celery, "beat", "--loglevel", "WARNING", "--schedule", "/tmp/crm-test-beat-schedule"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        first = wait_for(lambda: WorkerHeartbeat.objects.filter(queue="celery").first(), timeout=60)
        assert first is not None, "the worker never recorded a heartbeat"
        assert first.hostname.startswith("test@")
        # Later beats come from the beat schedule (the worker sends only one at start-up).
        later = wait_for(
            lambda: (
                WorkerHeartbeat.objects.filter(queue="celery", beat_at__gt=first.beat_at)
                .exclude(beat_at=first.beat_at)
                .first()
            ),
            timeout=30,
        )
        assert later is not None, "beat did not send the heartbeat again"
        response = client.get("/healthz")
        assert response.status_code == 200, response.json()
    finally:
        for proc in (beat, worker):
            proc.terminate()
        for proc in (beat, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
