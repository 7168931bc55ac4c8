"""The life of a message: one table of allowed transitions, one function that makes them.

    queued → sending → sent → delivered / opened / bounced
                     ↘ queued (a transient error: retried later)
                     ↘ failed (a permanent error, or out of attempts)

A transition is a conditional UPDATE (``WHERE status = <from>``), so two workers can never both
move the same message, and each transition writes one row to the delivery log.
"""

from django.db import transaction
from django.utils import timezone

from .models import Message, MessageEvent, Status

S = Status
TRANSITIONS: dict[str, set[str]] = {
    S.QUEUED: {S.SENDING, S.FAILED},
    S.SENDING: {S.SENT, S.QUEUED, S.FAILED, S.DELIVERED},
    S.SENT: {S.DELIVERED, S.OPENED, S.BOUNCED, S.FAILED},
    S.DELIVERED: {S.OPENED, S.BOUNCED},
    S.OPENED: {S.BOUNCED},
    S.BOUNCED: set(),
    # A failed message can be queued again by a person allowed to resend it.
    S.FAILED: {S.QUEUED},
}

# The timestamp column each status sets.
STAMPS = {
    S.SENT: "sent_at",
    S.DELIVERED: "delivered_at",
    S.OPENED: "opened_at",
    S.BOUNCED: "bounced_at",
    S.FAILED: "failed_at",
    S.SENDING: "claimed_at",
}


class TransitionRefused(Exception):  # noqa: N818
    pass


def transition(
    message_id: int,
    *,
    to: str,
    frm: str | tuple[str, ...] | None = None,
    detail: str = "",
    **fields,
) -> bool:
    """Moves the message to ``to`` if its status is one of ``frm`` (default: any status
    allowed to go to ``to``). Returns False when another worker or event got there first."""
    sources = (frm,) if isinstance(frm, str) else frm
    if sources is None:
        sources = tuple(s for s, targets in TRANSITIONS.items() if to in targets)
    for source in sources:
        if to not in TRANSITIONS[source]:
            raise TransitionRefused(f"{source} → {to} is not allowed")
    now = timezone.now()
    values = {"status": to, **fields}
    if to in STAMPS:
        values.setdefault(STAMPS[to], now)
    with transaction.atomic():
        row = (
            Message.objects.select_for_update()
            .filter(pk=message_id, status__in=sources)
            .values_list("status", flat=True)
            .first()
        )
        if row is None:
            return False
        Message.objects.filter(pk=message_id).update(**values)
        MessageEvent.objects.create(
            message_id=message_id, at=now, from_status=row, to_status=to, detail=detail[:2000]
        )
    return True
