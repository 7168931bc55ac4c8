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

    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, started_at=now, progress_at=now
    )
    if claimed:
        import_file(ImportJob.objects.get(pk=job_id), language=language)


@shared_task(name="partners.sweep_imports", ignore_result=True)
def sweep_imports() -> int:
    """Every few minutes: imports whose worker died (running, no chunk written for
    ``PARTNERS_IMPORT_STALE_MINUTES``) or that no worker ever took (queued for
    ``PARTNERS_IMPORT_QUEUED_MINUTES``) end as failed with a message saying what to do, instead
    of showing a progress bar forever. Rows written before stay: running the file again
    updates them by their key. Returns how many jobs it ended."""
    import datetime

    from django.conf import settings
    from django.utils import timezone, translation
    from django.utils.translation import gettext as _

    from .models import ImportJob, ImportState

    now = timezone.now()
    stale = now - datetime.timedelta(minutes=settings.PARTNERS_IMPORT_STALE_MINUTES)
    forgotten = now - datetime.timedelta(minutes=settings.PARTNERS_IMPORT_QUEUED_MINUTES)
    with translation.override(settings.LANGUAGE_CODE):
        died = _(
            "The import stopped: the worker running it ended before it finished. The rows"
            " written until then are kept; upload the file again to finish (rows already"
            " imported are updated, not doubled)."
        )
        never = _("The import never started: no worker took it. Upload the file again.")
    ended = ImportJob.objects.filter(state=ImportState.RUNNING, progress_at__lt=stale).update(
        state=ImportState.FAILED, error=died, finished_at=now
    )
    ended += ImportJob.objects.filter(state=ImportState.QUEUED, created_at__lt=forgotten).update(
        state=ImportState.FAILED, error=never, finished_at=now
    )
    return ended


@shared_task(name="partners.prune_search_changes", ignore_result=True)
def prune_search_changes() -> int:
    """Drops all but each owner's latest entry of the search index's change log
    (``partners.search_index``); the workers compare only the latest."""
    from django.db import connection

    from .search_index import PRUNE

    with connection.cursor() as cursor:
        cursor.execute(PRUNE)
        return cursor.rowcount
