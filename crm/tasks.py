from celery import shared_task

from . import health
from .messaging import tasks as messaging_tasks  # noqa: F401 - registers them


@shared_task(name="crm.tasks.heartbeat", ignore_result=True)
def heartbeat(queue: str = "celery") -> None:
    """Proves the pipeline beat -> broker -> worker -> database works. Safe to run twice."""
    health.record_heartbeat(queue=queue, hostname=heartbeat.request.hostname or "")
