import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template import Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.scoping import ScopedModel, ScopedQuerySet


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    FAX = "fax", _("fax")


class Status(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    OPENED = "opened", _("opened")
    BOUNCED = "bounced", _("bounced")
    FAILED = "failed", _("failed")


# One colour per status, so a badge looks the same everywhere (Bootstrap text-bg-*).
STATUS_COLOURS = {
    Status.QUEUED: "secondary",
    Status.SENDING: "info",
    Status.SENT: "primary",
    Status.DELIVERED: "success",
    Status.OPENED: "success",
    Status.BOUNCED: "warning",
    Status.FAILED: "danger",
}


def new_token() -> str:
    return secrets.token_hex(12)


class MessageQuerySet(ScopedQuerySet):
    def filtered(self, *, status="", channel="", day_from=None, day_to=None, about="", **_):
        """The outbox filters (``OutboxFilterForm``'s cleaned data); access comes on top."""
        queryset = self
        if status:
            queryset = queryset.filter(status=status)
        if channel:
            queryset = queryset.filter(channel=channel)
        if day_from:
            queryset = queryset.filter(created_at__date__gte=day_from)
        if day_to:
            queryset = queryset.filter(created_at__date__lte=day_to)
        if about:
            app_label, model, pk = about.split(".")
            queryset = queryset.filter(
                content_type__app_label=app_label, content_type__model=model, object_id=pk
            )
        return queryset


class Message(ScopedModel):
    """One outgoing e-mail, SMS or fax. ``company`` and ``owner`` scope it like any record:
    a user sees the messages of their own and their subordinates' records."""

    # Messages keep their own delivery log (MessageEvent) instead of pghistory snapshots.
    scoped_history = False

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    recipient = models.CharField(_("recipient"), max_length=254)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    template = models.ForeignKey(
        "crm.MessageTemplate",
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    language = models.CharField(_("language"), max_length=10, default="hu")
    content_type = models.ForeignKey(  # message_about_idx leads with it
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    object_id = models.CharField(max_length=64, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    marketing = models.BooleanField(_("marketing"), default=False)
    token = models.CharField(max_length=32, default=new_token, editable=False)
    provider_id = models.CharField(_("provider id"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta(ScopedModel.Meta):
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            *ScopedModel.Meta.indexes,
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="queued"), name="message_due_idx"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="message_sending_idx"
            ),
            models.Index(fields=["content_type", "object_id"], name="message_about_idx"),
        ]
        # Constraints rather than unique=True: no extra LIKE-pattern indexes, since every
        # status change of a message rewrites all of its table's indexes.
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="message_idempotency_key"),
            models.UniqueConstraint(fields=["token"], name="message_token"),
        ]
        permissions = [("resend_message", _("Resend failed messages"))]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}"

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self.status]


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    mimetype = models.CharField(_("type"), max_length=100)
    content = models.BinaryField(_("content"))
    # Set for an inline image: the HTML refers to it as <img src="cid:...">.
    content_id = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class MessageEvent(models.Model):
    """The delivery log of a message: every status change, with its detail."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("when"), default=timezone.now)
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Suppression(models.Model):
    """An address the outbox must not write to: it bounced hard, or unsubscribed from
    marketing mail (then only marketing messages are refused)."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("bounced")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")

    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            models.UniqueConstraint(fields=["address", "reason"], name="suppression_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"


class MessageTemplate(models.Model):
    """A message template per language, in Django template syntax."""

    key = models.SlugField(_("key"), max_length=100)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    body_text = models.TextField(_("text"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language", "channel"], name="message_template_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language}, {self.channel})"

    def clean(self):
        errors = {}
        for field in ("subject", "body_html", "body_text"):
            try:
                template_engine().from_string(getattr(self, field))
            except TemplateSyntaxError as exc:
                line = (getattr(exc, "template_debug", None) or {}).get("line", "?")
                errors[field] = _("Template error on line %(line)s: %(error)s") % {
                    "line": line,
                    "error": exc,
                }
        if errors:
            raise ValidationError(errors)


_ENGINE = None


def template_engine() -> Engine:
    """Django's template language with the project's tag libraries, in debug mode so that a
    syntax error knows its line."""
    global _ENGINE
    if _ENGINE is None:
        default = Engine.get_default()
        _ENGINE = Engine(debug=True, libraries=default.libraries, builtins=[])
    return _ENGINE
