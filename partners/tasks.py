from celery import shared_task

from . import status


@shared_task(name="partners.refresh_statuses", ignore_result=True)
def refresh_statuses() -> None:
    """Nightly: every partner's status in every own company. Safe to run twice (an advisory
    lock serialises runs; the SQL writes only rows that change)."""
    status.refresh_statuses()


@shared_task(name="partners.import_run", ignore_result=True)
def import_run(job_id: int, language: str | None = None) -> None:
    """Runs a queued import. Claims the job with a conditional UPDATE (queued → running), so a
    second delivery of the task, or a second task, does nothing."""
    from django.utils import timezone

    from .imports import import_file
    from .models import ImportJob, ImportState

    claimed = ImportJob.objects.filter(pk=job_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, started_at=timezone.now()
    )
    if claimed:
        import_file(ImportJob.objects.get(pk=job_id), language=language)
