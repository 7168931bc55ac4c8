"""The Celery app. Its beat schedule is ``CELERY_BEAT_SCHEDULE`` in ``crm/settings.py``."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _first_heartbeat(sender, **kwargs):
    """Beat sends the first heartbeat only after one interval; do not make /healthz wait."""
    sender.app.send_task("crm.tasks.heartbeat")
