"""The outbox's messages as the query builder offers them: who was sent what, through which
channel, and what became of it (registered in ``QueryBuilderConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

from crm.querybuilder.registry import Entity, Field, queryables

from .models import Channel, Message, Status

MESSAGE_FIELDS = [
    Field("channel", _("Channel"), "choice", choices=Channel.choices),
    Field("status", _("Status"), "choice", choices=Status.choices),
    Field("recipient", _("Recipient"), "text"),
    Field("subject", _("Subject"), "text"),
    Field("owner", _("Owner"), "user", path="owner_id"),
    Field("marketing", _("Marketing"), "boolean"),
    Field("language", _("Language"), "text"),
    Field("attempts", _("Attempts"), "number"),
    Field("size", _("Size (bytes)"), "number"),
    Field("created_at", _("Queued"), "datetime"),
    Field("sent_at", _("Sent"), "datetime"),
    Field("delivered_at", _("Delivered"), "datetime"),
    Field("opened_at", _("Opened"), "datetime"),
    Field("bounced_at", _("Bounced"), "datetime"),
    Field("failed_at", _("Failed"), "datetime"),
    Field("last_error", _("Last error"), "text", sortable=False, groupable=False),
]


def register() -> None:
    queryables.register(
        Entity(
            key="messages",
            label=_("Sent messages"),
            model=Message,
            base=True,
            order=80,
            fields=MESSAGE_FIELDS,
            default_columns=("created_at", "channel", "recipient", "subject", "status"),
        )
    )
