"""The background export of a query's result (``exports.export_run``)."""

from celery import shared_task


@shared_task(name="querybuilder.export_run", ignore_result=True)
def export_run(record_id: int, language: str | None = None, separator: str = ";") -> None:
    """Writes a queued export's file. Claims the record with a conditional UPDATE (queued →
    running), so a second delivery of the task does nothing."""
    from .exports import export_run as run

    run(record_id=record_id, language=language, separator=separator)
