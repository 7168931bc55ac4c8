"""The Celery app. The beat schedule lives here, in code, each entry with an ``expires``."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender, **kwargs):
    from django.conf import settings

    interval = settings.HEARTBEAT_INTERVAL
    sender.conf.beat_schedule = {
        "worker-heartbeat": {
            "task": "crm.tasks.heartbeat",
            "schedule": float(interval),
            "options": {"expires": max(interval - 1, 1)},
        },
    }


@worker_ready.connect
def _first_heartbeat(sender, **kwargs):
    """Beat sends the first heartbeat only after one interval; do not make /healthz wait."""
    sender.app.send_task("crm.tasks.heartbeat")
