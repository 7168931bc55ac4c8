from celery import shared_task


@shared_task(name="activities.release_idle_partners", ignore_result=True)
def release_idle_partners() -> None:
    """Nightly: records the day each partner lost its last future event (``lapses``), then
    the partners with no next event planned within a month of it leave their owners. Safe to
    run twice: the records are reconciled, released owner rows are gone, and each row is
    claimed with SKIP LOCKED."""
    from .services import idle_partners_release

    idle_partners_release()


@shared_task(name="activities.send_reminders", ignore_result=True)
def send_reminders() -> None:
    """Every minute: the e-mails of the reminders that fell due."""
    from .reminders import reminders_email

    reminders_email()


@shared_task(
    name="activities.google_sync",
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def google_sync(activity_id: int, user_id: int, event_id: str = "") -> None:
    """Brings one activity into its handler's Google calendar. Google's server errors and
    network failures are retried with backoff; a revoked grant ends the connection."""
    from googleapiclient.errors import HttpError

    from .google import sync

    try:
        sync(activity_id, user_id=user_id, event_id=event_id)
    except HttpError as error:
        if error.resp.status >= 500 or error.resp.status == 429:
            raise google_sync.retry(exc=error) from error
        raise
