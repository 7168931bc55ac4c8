"""Subscriptions (issue 24, item 5): a user follows a folder (and everything below it) or one
document, and is told by e-mail, through the outbox, of a new file, a new version or a
deletion: at once, or in a daily digest, as they chose for that subscription.

How it works:

- ``event_recorded`` runs inside the transaction that records a document's event
  (``services.record_event``): it writes one ``Notice`` a subscriber (never the actor), so a
  rolled-back change tells no one and a committed one cannot be lost; immediate notices are
  sent after the commit (``notices_send``), and a beat task sends any left behind.
- ``digest_send`` (beat, daily, one run at a time by an advisory lock) gathers each user's
  daily notices into one mail.
- At send time a notice is checked against the documents' own ``visible_to`` (as the recipient
  working in the document's company): who may no longer see a document is not told of it. A
  notice is marked sent in the transaction that queues its mail, and the mail's idempotency key
  names it, so nothing is sent twice.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from crm.scoping import company_ids

from .models import Action, Document, DocumentEvent, DocumentQuerySet, Folder

log = logging.getLogger(__name__)

# The events subscribers hear of: a new file, a new version (a restore is one too), a deletion.
TOLD = {Action.UPLOAD, Action.NEW_VERSION, Action.RESTORE, Action.DELETE}
NOTICE_DAYS = 30  # how long a sent notice is kept
DIGEST_LOCK = 724_105  # pg_try_advisory_xact_lock key of the digest run: one at a time


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("at once")
    DAILY = "daily", _("daily digest")


class Subscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    folder = models.ForeignKey(
        Folder,
        verbose_name=_("folder"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    mode = models.CharField(_("when"), max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(folder__isnull=True, document__isnull=False)
                | Q(folder__isnull=False, document__isnull=True),
                name="documents_subscription_folder_or_document",
            ),
            models.UniqueConstraint(
                fields=["user", "folder"],
                name="documents_subscription_folder_once",
                condition=Q(folder__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "document"],
                name="documents_subscription_document_once",
                condition=Q(document__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.folder or self.document}"


class Notice(models.Model):
    """One subscriber to tell of one document event; sent (or dropped) once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        DocumentEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="+"
    )
    mode = models.CharField(_("when"), max_length=10, choices=Mode.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Set in the transaction that queued the mail, or that found the document out of sight.
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    message = models.ForeignKey(
        "crm.Message",
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("subscription notice")
        verbose_name_plural = _("subscription notices")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="documents_notice_once")
        ]
        indexes = [
            models.Index(
                fields=["mode", "user", "id"],
                name="documents_notice_pending",
                condition=Q(done_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.event_id}"


# ----------------------------------------------------------------------------- subscribing


def subscription_of(user, *, folder=None, document=None) -> Subscription | None:
    return Subscription.objects.filter(user=user, folder=folder, document=document).first()


def subscribe(*, user, mode: str, folder=None, document=None) -> Subscription:
    """Follows ``folder`` or ``document`` (the caller fetched it through ``visible_to``), or
    changes how an existing subscription is told."""
    if mode not in Mode.values:
        raise ValidationError(_("Choose when to be told."))
    subscription, _created = Subscription.objects.update_or_create(
        user=user, folder=folder, document=document, defaults={"mode": mode}
    )
    return subscription


def unsubscribe(*, user, pk: int) -> bool:
    return Subscription.objects.filter(user=user, pk=pk).delete()[0] > 0


# ----------------------------------------------------------------------------- notices


def event_recorded(*, event: DocumentEvent, document: Document) -> None:
    """Writes the notices of ``event`` (in the caller's transaction): one for each subscriber
    of the document or of its folder or a folder above it, but the one who acted. A subscriber
    of both is told once, at once if either subscription says so."""
    if event.action not in TOLD:
        return
    condition = Q(document_id=document.pk)
    if document.folder_id:
        folder = Folder.objects.filter(pk=document.folder_id).values("tree_id", "lft", "rght")[0]
        condition |= Q(
            folder__tree_id=folder["tree_id"],
            folder__lft__lte=folder["lft"],
            folder__rght__gte=folder["rght"],
        )
    modes: dict[int, str] = {}
    for user_id, mode in (
        Subscription.objects.filter(condition)
        .exclude(user_id=event.user_id)
        .values_list("user_id", "mode")
    ):
        if modes.get(user_id) != Mode.IMMEDIATE:
            modes[user_id] = mode
    if not modes:
        return
    Notice.objects.bulk_create(
        [Notice(user_id=u, event=event, mode=m) for u, m in modes.items()], ignore_conflicts=True
    )
    if Mode.IMMEDIATE in modes.values():
        event_id = event.pk
        transaction.on_commit(lambda: _enqueue(event_id))


def _enqueue(event_id: int) -> None:
    """Hands the event's immediate notices to Celery; with the broker down, the beat task
    that sends those left behind sends them a few minutes later."""
    from .tasks import send_subscription_notices

    try:
        send_subscription_notices.delay(event_id)
    except Exception:  # noqa: BLE001 - the change is saved; the mail follows later
        log.warning("Subscription notices of event %s wait for the next sweep", event_id)


class _AliveOrNot(DocumentQuerySet):
    """The documents' own ``visible_to`` rule, the trash included: a deleted document is told
    of to those who saw it."""

    def alive(self):
        return self


def _seen(recipient, company_id: int, document_ids) -> set[int]:
    """Of ``document_ids``, those ``recipient`` sees working in ``company_id``."""
    if not recipient.is_active or company_id not in company_ids(recipient):
        return set()
    recipient.current_company_id = company_id  # in memory only: as if working there
    seen = _AliveOrNot(model=Document).visible_to(recipient).filter(pk__in=list(document_ids))
    return set(seen.values_list("pk", flat=True))


def _lines(notices) -> list[dict]:
    labels = dict(Action.choices)
    return [
        {
            "title": n.event.title,
            "action": labels.get(n.event.action, n.event.action),
            "deleted": n.event.action == Action.DELETE,
            "version": n.event.version_number,
            "by": (n.event.user.get_full_name() or n.event.user.get_username())
            if n.event.user
            else "",
            "at": timezone.localtime(n.event.at),
            "url": settings.SITE_URL + reverse("documents:detail", args=[n.event.document_id]),
        }
        for n in notices
    ]


def _send(recipient, notices: list[Notice], *, key: str, digest: bool) -> int:
    """Queues the mail of ``notices`` (all of one recipient and company) unless none of their
    documents is in sight; marks them done either way. Returns how many mails (0 or 1)."""
    company_id = notices[0].event.company_id
    seen = _seen(recipient, company_id, {n.event.document_id for n in notices})
    told = [n for n in notices if n.event.document_id in seen]
    message = None
    if told and recipient.email:
        with translation.override(settings.LANGUAGE_CODE):
            context = {"recipient": recipient, "lines": _lines(told), "digest": digest}
            context["subscriptions_url"] = settings.SITE_URL + reverse("documents:subscriptions")
            subject = render_to_string("documents/mail/subscription_subject.txt", context)
            from crm.messaging.services import message_queue

            try:
                message = message_queue(
                    channel="email",
                    recipient=recipient.email,
                    company=notices[0].event.company,
                    owner=recipient,
                    subject=subject,
                    text=render_to_string("documents/mail/subscription.txt", context),
                    html=render_to_string("documents/mail/subscription.html", context),
                    idempotency_key=key,
                )
            except ValidationError as error:  # a bounced address: the notices are dropped
                log.info("Subscription mail to %s not queued: %s", recipient.pk, error.messages)
    Notice.objects.filter(pk__in=[n.pk for n in notices]).update(
        done_at=timezone.now(), message=message
    )
    return 1 if message is not None else 0


def _claim(**filters) -> list[Notice]:
    return list(
        Notice.objects.filter(done_at__isnull=True, **filters)
        .select_related("event", "event__user", "event__company", "user")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("id")
    )


def notices_send(*, event_id: int | None = None) -> int:
    """Sends the immediate notices not sent yet (of one event, or all): one mail each.
    Returns how many mails were queued. Safe to run twice and side by side."""
    filters = {"mode": Mode.IMMEDIATE}
    if event_id is not None:
        filters["event_id"] = event_id
    sent = 0
    with transaction.atomic():
        for notice in _claim(**filters):
            sent += _send(notice.user, [notice], key=f"documents-notice:{notice.pk}", digest=False)
    return sent


def digest_send() -> int:
    """The daily digest: one mail per user and company with their daily notices not sent
    yet. One run at a time (an advisory lock; a second run meanwhile does nothing); each user's
    mail and the marking of their notices are one transaction. Notices done with more than
    ``NOTICE_DAYS`` ago are deleted. Returns how many mails."""
    sent = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [DIGEST_LOCK])
            if not cursor.fetchone()[0]:
                return 0
        user_ids = list(
            Notice.objects.filter(mode=Mode.DAILY, done_at__isnull=True)
            .values_list("user_id", flat=True)
            .distinct()
        )
        for user_id in user_ids:
            with transaction.atomic():
                notices = _claim(mode=Mode.DAILY, user_id=user_id)
                by_company: dict[int, list[Notice]] = {}
                for notice in notices:
                    by_company.setdefault(notice.event.company_id, []).append(notice)
                for group in by_company.values():
                    key = f"documents-digest:{user_id}:{group[0].pk}"
                    sent += _send(group[0].user, group, key=key, digest=True)
        # Notices done with for a while are of no more use (the outbox keeps the mails).
        kept = timezone.now() - datetime.timedelta(days=NOTICE_DAYS)
        Notice.objects.filter(done_at__lt=kept).delete()
    return sent
