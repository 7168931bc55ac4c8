from celery import shared_task


@shared_task(name="documents.empty_trash", ignore_result=True)
def empty_trash() -> int:
    """Daily: documents in the trash for longer than DOCUMENTS_TRASH_DAYS are deleted with
    their files. Safe to run twice (rows are claimed with SKIP LOCKED; a second run finds
    nothing left)."""
    from .services import trash_empty

    return trash_empty()


@shared_task(name="documents.sweep_orphan_files", ignore_result=True)
def sweep_orphan_files() -> int:
    """Daily: files written for uploads whose transaction rolled back afterwards."""
    from .services import orphan_files_sweep

    return orphan_files_sweep()


@shared_task(name="documents.send_subscription_notices", ignore_result=True)
def send_subscription_notices(event_id: int | None = None) -> int:
    """After a document's change (one event), and every few minutes for any left behind: the
    subscribers told at once. Safe to run twice (notices are claimed and marked once)."""
    from .subscriptions import notices_send

    return notices_send(event_id=event_id)


@shared_task(name="documents.send_subscription_digest", ignore_result=True)
def send_subscription_digest() -> int:
    """Daily: each subscriber's digest of the changes of the day (one run at a time)."""
    from .subscriptions import digest_send

    return digest_send()


@shared_task(
    name="documents.extract_text",
    ignore_result=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def extract_text(version_id: int) -> str | None:
    """The text of a new version for the full-text search (queued after its upload commits).
    Safe to run twice: a version already read is left alone."""
    from .texts import text_extract

    return text_extract(version_id=version_id)
