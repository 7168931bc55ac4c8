from celery import shared_task

from . import status


@shared_task(name="partners.refresh_statuses", ignore_result=True)
def refresh_statuses() -> None:
    """Nightly: every partner's status in every own company. Safe to run twice (an advisory
    lock serialises runs; the SQL writes only rows that change)."""
    status.refresh_statuses()
