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
