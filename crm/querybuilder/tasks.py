from celery import shared_task


@shared_task(name="querybuilder.send_scheduled_reports", ignore_result=True)
def send_scheduled_reports() -> None:
    """Daily: the scheduled reports that fell due, each recipient with their own rows. Safe
    to run twice: each report is claimed with SKIP LOCKED and each mail has its own
    idempotency key (report, recipient, day)."""
    from .schedules import reports_send_due

    reports_send_due()


@shared_task(name="querybuilder.sweep_exports", ignore_result=True)
def sweep_exports() -> int:
    """Every few minutes: background exports that no worker took, or whose worker died, end as
    failed with a message saying to export again, instead of a progress bar forever."""
    from .exports import exports_expire_stale

    return exports_expire_stale()
