"""What document templates may say about an activity (a visit report from a meeting): its
subject, type, time, place, description and result; an activity leads to its partner and
contact (crm/templating.py). Registered from ``ActivitiesConfig.ready()``."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.templating import (
    Provider,
    Relation,
    Source,
    Variable,
    hungarian_date,
    person,
    providers,
    relations,
)

FIELDS = [
    ("subject", _("subject"), "Bemutató a gyártósoron"),
    ("type", _("type"), "Találkozó"),
    ("date", _("date"), "2026. 11. 22."),
    ("time", _("time"), "10:00"),
    ("place", _("place"), "Győr, Ipari park 4."),
    ("description", _("description"), "A 2027-es karbantartási keretszerződés előkészítése."),
    ("outcome", _("outcome"), "Sikeres"),
    ("result_notes", _("result notes"), "Árajánlatot kérnek december 15-ig."),
    ("owner.name", _("handled by"), "Kovács Anna"),
]


def _activity(source: Source) -> dict:
    activity = source.get("activity")
    if activity is None:
        values = {name: "" for name, _label, _example in FIELDS if "." not in name}
        values["owner"] = person(None)
        return values
    start = timezone.localtime(activity.starts_at)
    return {
        "subject": activity.subject,
        "type": activity.type.name,
        "date": hungarian_date(start.date()),
        "time": f"{start:%H:%M}",
        "place": activity.place,
        "description": activity.description,
        "outcome": activity.get_outcome_display() if activity.outcome else "",
        "result_notes": activity.result_notes,
        "owner": person(activity.owner),
    }


def register() -> None:
    providers.register(
        Provider(
            key="activity",
            label=_("The activity the document is generated from"),
            variables=tuple(Variable(f"activity.{n}", label, ex) for n, label, ex in FIELDS),
            value=_activity,
            order=40,
        )
    )
    relations.register(Relation("activity", "partner", "partners.Partner", "partner_id"))
    relations.register(Relation("activity", "contact", "partners.Contact", "contact_id"))
