"""A sales collateral send (documents.collateral) on the partner's timeline: a closed e-mail
activity of the sender, with the contact, the files sent and the note."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Activity, ActivityType, Outcome
from .services import activity_record


def record_send(*, user, partner, contact, documents, message, note: str) -> Activity:
    email = ActivityType.objects.filter(code="email", active=True).first()
    if email is None:
        raise ValidationError(_("There is no active e-mail activity type to record the send."))
    titles = ", ".join(d.title for d in documents)
    subject = _("Sales collateral sent: %(titles)s") % {"titles": titles}
    if len(subject) > 200:
        subject = subject[:199] + "…"
    files = "\n".join(f"- {d.title} ({d.current_version.original_name})" for d in documents)
    return activity_record(
        user=user,
        activity=Activity(
            type=email,
            partner=partner,
            contact=contact,
            subject=subject,
            starts_at=timezone.now(),
            description=note,
        ),
        outcome=Outcome.SUCCESSFUL,
        result_notes=_("Sent to %(address)s:") % {"address": message.recipient} + "\n" + files,
    )
