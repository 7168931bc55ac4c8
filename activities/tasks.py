from celery import shared_task


@shared_task(name="activities.release_idle_partners", ignore_result=True)
def release_idle_partners() -> None:
    """Nightly: partners left without a future event too long leave their owners. Safe to run
    twice: released owner rows are gone, and each row is claimed with SKIP LOCKED."""
    from .services import idle_partners_release

    idle_partners_release()


@shared_task(name="activities.send_reminders", ignore_result=True)
def send_reminders() -> None:
    """Every minute: the e-mails of the reminders that fell due."""
    from .reminders import reminders_email

    reminders_email()
