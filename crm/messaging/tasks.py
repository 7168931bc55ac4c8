"""Thin Celery wrappers around the outbox services; each is safe to run twice."""

import time

from celery import shared_task

from . import services


@shared_task(name="crm.messaging.send_message", ignore_result=True)
def send_message(message_id: int) -> None:
    services.deliver(ids=[message_id])


@shared_task(name="crm.messaging.send_messages", ignore_result=True)
def send_messages(message_ids: list[int]) -> None:
    """The messages one transaction queued (a chunk of them), over one connection."""
    services.deliver(ids=list(message_ids), limit=len(message_ids))


@shared_task(name="crm.messaging.send_due", ignore_result=True)
def send_due(seconds: float = 12.0) -> int:
    """Sends whatever is due (retries, deferred ones, ones whose task was lost), in batches,
    for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    total = 0
    while time.monotonic() < deadline:
        sent = services.deliver()
        total += sent
        if not sent:
            break
    return total


@shared_task(name="crm.messaging.reconcile", ignore_result=True)
def reconcile() -> int:
    return services.reconcile_stuck()


@shared_task(name="crm.messaging.fetch_bounces", ignore_result=True)
def fetch_bounces() -> int:
    from .bounces import fetch_from_imap

    return fetch_from_imap()
