"""The timeline: calls, meetings, tasks, letters, e-mails and reminders between our users and
partners, each with a plan and, once done, a result.

An activity is a scoped record (``crm.scoping.ScopedModel``): its ``owner`` is the handler, the
user who does it, so the handler, their supervisors and the company's "see all" users see it;
``created_by`` is who planned it (a task may be given to somebody else: ``activities.assignment``).
A task may be internal, without a partner (a report to write); every other kind has a partner.
"""

import datetime

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.choices import choice_label
from crm.links import record_url
from crm.scoping import ScopedModel, ScopedQuerySet
from partners.models import bilingual


class Kind(models.TextChoices):
    """What an activity type behaves like: meetings are closed by force, tasks have a deadline
    and a task name, only meetings record observations."""

    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    TASK = "task", _("Task")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    REMINDER = "reminder", _("Reminder")


KIND_ICONS = {
    Kind.CALL: "telephone",
    Kind.MEETING: "people",
    Kind.TASK: "check2-square",
    Kind.LETTER: "envelope-paper",
    Kind.EMAIL: "envelope",
    Kind.REMINDER: "bell",
}


# The plan's fields that depend on the kind (every kind has a type, subject, handler, contact,
# start and description): a meeting has an end, a place and participants; a call an end and
# participants; a task a task name and a deadline; a letter or an e-mail is sent at its start
# and has nothing more. The form shows (and keeps) only these (issue 31, item 22).
KIND_FIELDS = {
    Kind.CALL: ("ends_at", "participants", "reminder_minutes"),
    Kind.MEETING: ("ends_at", "place", "participants", "reminder_minutes"),
    Kind.TASK: ("task_name", "deadline", "reminder_minutes"),
    Kind.LETTER: (),
    Kind.EMAIL: (),
    Kind.REMINDER: ("reminder_minutes",),
}
KIND_DEPENDENT_FIELDS = (
    "task_name",
    "ends_at",
    "deadline",
    "place",
    "participants",
    "reminder_minutes",
)


def kinds_with(field: str) -> list[str]:
    """The kinds whose plan has ``field``."""
    return [kind for kind, fields in KIND_FIELDS.items() if field in fields]


class Outcome(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")
    CANCELLED = "cancelled", _("Cancelled")


OUTCOME_COLOURS = {
    Outcome.SUCCESSFUL: "success",
    Outcome.UNSUCCESSFUL: "warning",
    Outcome.CANCELLED: "secondary",
}


class State(models.TextChoices):
    """Computed, never stored: open, overdue (a task past its deadline, any other activity
    past its planned end), done."""

    OPEN = "open", _("Open")
    OVERDUE = "overdue", _("Overdue")
    DONE = "done", _("Done")


STATE_COLOURS = {State.OPEN: "primary", State.OVERDUE: "danger", State.DONE: "success"}


class ActivityTypeQuerySet(models.QuerySet):
    def usable_by(self, user):
        """The active types ``user`` may use: those without a function, and those whose
        function the user has (collection calls for the finance team, say). From the cached
        reference list (``activities.reference``)."""
        from .reference import activity_types

        return [t for t in activity_types() if t.active and t.usable_by(user)]


class ActivityType(models.Model):
    """A kind of activity as the admins configure it, with the types that may follow it."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_hu = models.CharField(_("name (Hungarian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    kind = models.CharField(_("behaves as"), max_length=10, choices=Kind.choices)
    has_result = models.BooleanField(
        _("has a result part"),
        default=True,
        help_text=_("Closing asks for an outcome and result notes."),
    )
    default_reminder_minutes = models.PositiveIntegerField(
        _("default reminder (minutes before)"), null=True, blank=True
    )
    follow_ups = models.ManyToManyField(
        "self",
        verbose_name=_("may be followed by"),
        symmetrical=False,
        blank=True,
        related_name="+",
    )
    function = models.ForeignKey(
        "auth.Permission",
        verbose_name=_("only for the function"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("When set, only users with this function see and use activities of the type."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    objects = ActivityTypeQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_hu, self.name_en)

    @property
    def icon(self) -> str:
        return KIND_ICONS.get(self.kind, "circle")

    @property
    def function_name(self) -> str:
        """``app_label.codename`` of the function, or "" for everyone."""
        if self.function_id is None:
            return ""
        return f"{self.function.content_type.app_label}.{self.function.codename}"

    def usable_by(self, user) -> bool:
        return not self.function_id or user.has_perm(self.function_name)


class TaskName(models.Model):
    """The admins' list of task names ("send the price list", "check the contract", …)."""

    name_hu = models.CharField(_("name (Hungarian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("task name")
        verbose_name_plural = _("task names")

    def __str__(self) -> str:
        return bilingual(self.name_hu, self.name_en)


# The fields a listed activity shows (ActivityQuerySet.listed): type, times, subject, state and
# outcome, partner, contact and handler.
LISTED = [
    "kind",
    "subject",
    "starts_at",
    "ends_at",
    "deadline",
    "closed_at",
    "outcome",
    "type",
    "type__name_hu",
    "type__name_en",
    "type__kind",
    "partner",
    "partner__name",
    "contact",
    "contact__title",
    "contact__family_name",
    "contact__given_name",
    "owner",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
]


class ActivityQuerySet(ScopedQuerySet):
    def _scoped(self, user, action: str):
        """The scoping rule, and of the special types only those whose function the user has."""
        from .reference import hidden_type_ids

        scoped = super()._scoped(user, action)
        hidden = hidden_type_ids(user)
        return scoped.exclude(type_id__in=hidden) if hidden else scoped

    def open(self):
        return self.filter(closed_at__isnull=True)

    def in_state(self, state: str, now: datetime.datetime | None = None):
        """Those in a computed ``State`` at ``now``: done (closed), overdue (open, past the
        deadline's day, else past the planned end, else past the start), open (the rest)."""
        if state == State.DONE:
            return self.filter(closed_at__isnull=False)
        now = now or timezone.now()
        late = (
            Q(deadline__lt=timezone.localdate(now))
            | Q(deadline__isnull=True, ends_at__lt=now)
            | Q(deadline__isnull=True, ends_at__isnull=True, starts_at__lt=now)
        )
        if state == State.OVERDUE:
            return self.filter(late, closed_at__isnull=True)
        if state == State.OPEN:
            return self.filter(closed_at__isnull=True).exclude(late)
        return self

    def with_related(self):
        return self.select_related("type", "partner", "contact", "owner")

    def listed(self, *, people: bool = True):
        """What a row of the timeline or a list shows (``activities.rows``), and no more: a
        page of twenty rows read four whole records each. ``people=False``: without the
        contact and the handler (the home page's panels, which show one's own)."""
        if people:
            return self.with_related().only(*LISTED)
        fields = [f for f in LISTED if f.partition("__")[0] not in ("contact", "owner")]
        return self.select_related("type", "partner").only(*fields)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Activity(ScopedModel):
    """One call, meeting, task, letter, e-mail or reminder: the plan, then the result."""

    type = models.ForeignKey(
        ActivityType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+"
    )
    # Copied from the type on save: the forced-closure and task indexes filter on it.
    kind = models.CharField(_("behaves as"), max_length=10, choices=Kind.choices, editable=False)
    # Empty only for an internal task (the check constraint activities_partner_unless_task).
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    # The plan
    subject = models.CharField(_("subject"), max_length=200)
    task_name = models.ForeignKey(
        TaskName,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("planned start"))
    ends_at = models.DateTimeField(_("planned end"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participants"),
        blank=True,
        related_name="+",
    )
    description = models.TextField(_("description"), blank=True)
    reminder_minutes = models.PositiveIntegerField(
        _("reminder (minutes before)"), null=True, blank=True
    )
    # When the reminder is due (start − minutes), and what became of it: the pop-up was
    # dismissed, or snoozed until a time; the e-mail was queued. A new time re-arms it.
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True, editable=False)
    reminder_dismissed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_snoozed_until = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    google_event_id = models.CharField(max_length=1024, blank=True, editable=False)
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_by",
    )
    # The result
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    result_notes = models.TextField(_("result notes"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ActivityQuerySet.as_manager()

    class Meta(ScopedModel.Meta):
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        permissions = [
            ("edit_closed_activity", _("Change closed activities")),
            ("must_close_meetings", _("Is stopped until overdue meetings are closed")),
            ("must_plan_next_event", _("Must keep a future event for each owned partner")),
            ("use_collection_types", _("Use collection activity types")),
            ("assign_to_colleagues", _("Assign tasks to any colleague of the company")),
        ]
        indexes = [
            *ScopedModel.Meta.indexes,
            # a partner's timeline, newest first
            models.Index(fields=["partner", "company", "-starts_at"], name="activities_partner"),
            models.Index(fields=["contact", "-starts_at"], name="activities_contact"),
            # the activity list of a manager or a "see all" user, newest first: walked in order
            # until a page of the team's rows is found; the scope's columns ride along, so the
            # rows of people outside the team are skipped without reading the table. The
            # partner rides along too: the query builder's "activities of partners that …"
            # tests each row's partner while walking, without a read of the row first.
            models.Index(
                fields=["company", "-starts_at", "-id"],
                include=["owner", "type", "partner"],
                name="activities_company_start",
            ),
            # one's calendar and day
            models.Index(fields=["owner", "starts_at"], name="activities_calendar"),
            # forced closure: a user's open meetings by end
            models.Index(
                fields=["owner", "ends_at"],
                name="activities_open_meetings",
                condition=Q(kind="meeting", closed_at__isnull=True),
            ),
            # due reminders: the e-mails of everybody
            models.Index(
                fields=["remind_at"],
                name="activities_reminders",
                condition=Q(remind_at__isnull=False, closed_at__isnull=True),
            ),
            # the pop-ups of one user, however old: only those still waiting to be dismissed
            models.Index(
                fields=["owner", "remind_at"],
                name="activities_reminders_due",
                condition=Q(
                    remind_at__isnull=False,
                    closed_at__isnull=True,
                    reminder_dismissed_at__isnull=True,
                ),
            ),
            # "has a future event": a probe of the partner's open activities only
            models.Index(
                fields=["partner", "company", "starts_at", "deadline"],
                name="activities_partner_open",
                condition=Q(closed_at__isnull=True),
            ),
            # one's open tasks by deadline
            models.Index(
                fields=["owner", "deadline"],
                name="activities_open_tasks",
                condition=Q(closed_at__isnull=True, deadline__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="activities_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, outcome="")
                | Q(closed_at__isnull=False) & ~Q(outcome=""),
                name="activities_closed_with_outcome",
            ),
            models.CheckConstraint(
                condition=Q(partner__isnull=False) | Q(kind="task"),
                name="activities_partner_unless_task",
                violation_error_message=_(
                    "Only a task can be internal; any other activity needs a partner."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def save(self, *args, **kwargs):
        if self.type_id and (not self.kind or self._type_changed()):
            self.kind = ActivityType.objects.values_list("kind", flat=True).get(pk=self.type_id)
        self.set_reminder()
        super().save(*args, **kwargs)

    def set_reminder(self) -> list[str]:
        """Computes ``remind_at``; when it changed, the reminder is armed again (not dismissed,
        snoozed or e-mailed). Returns the fields that changed."""
        due = None
        if self.reminder_minutes is not None and self.starts_at:
            due = self.starts_at - datetime.timedelta(minutes=self.reminder_minutes)
        if due == self.remind_at:
            return []
        self.remind_at = due
        self.reminder_dismissed_at = self.reminder_snoozed_until = None
        self.reminder_emailed_at = None
        return [
            "remind_at",
            "reminder_dismissed_at",
            "reminder_snoozed_until",
            "reminder_emailed_at",
        ]

    def _type_changed(self) -> bool:
        cached = self._state.fields_cache.get("type")
        return cached is not None and cached.kind != self.kind

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("The end cannot be before the start.")
        if self.deadline and self.starts_at and self.deadline < timezone.localdate(self.starts_at):
            errors["deadline"] = _("The deadline cannot be before the start.")
        if self.contact_id and self.partner_id and self.contact.partner_id != self.partner_id:
            errors["contact"] = _("The contact belongs to another partner.")
        if self.contact_id and not self.partner_id:
            errors["contact"] = _("An internal task has no contact.")
        if not self.partner_id and self.kind and self.kind != Kind.TASK:
            errors["partner"] = _(
                "Only a task can be internal; any other activity needs a partner."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def get_absolute_url(self) -> str:
        return record_url("activities:detail", self.pk)

    @property
    def partner_url(self) -> str:
        return record_url("partners:detail", self.partner_id) if self.partner_id else ""

    @property
    def where(self) -> str:
        """Where to go: the place, else the partner's address; only for a kind that has a
        place (a meeting), never for an e-mail, a letter or a call."""
        if "place" not in KIND_FIELDS.get(self.kind, ()):
            return ""
        return self.place or (self.partner.address if self.partner_id else "")

    @property
    def is_internal(self) -> bool:
        """A task of the team, with no partner."""
        return self.partner_id is None

    @property
    def due(self) -> datetime.datetime:
        """When it should be done: the end of the deadline's day, the planned end, or the
        planned start."""
        if self.deadline:
            end_of_day = datetime.datetime.combine(self.deadline, datetime.time.max)
            return timezone.make_aware(end_of_day)
        return self.ends_at or self.starts_at

    def state_at(self, now: datetime.datetime) -> str:
        if self.closed_at:
            return State.DONE
        return State.OVERDUE if self.due < now else State.OPEN

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def state_label(self) -> str:
        state = self.state
        if state == State.OPEN and self.kind == Kind.TASK:
            return _("In progress")
        return choice_label(State, state)

    @property
    def state_colour(self) -> str:
        return STATE_COLOURS[self.state]

    @property
    def outcome_colour(self) -> str:
        return OUTCOME_COLOURS.get(self.outcome, "secondary")


def _feed_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's personal ICS feed: whoever has the link's secret token reads the user's
    activities, so a phone's calendar app can subscribe. A new token ends the old link."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=_feed_token)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)

    def renew(self) -> None:
        self.token = _feed_token()
        self.save(update_fields=["token"])


class NextEventLapse(models.Model):
    """The day a partner (in one own company) lost its last future event: from then it is on
    its owners' "no next event" list, and a calendar month later it is taken from them
    (activities.lapses keeps it; gone again once a next event is planned)."""

    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.CASCADE, related_name="+"
    )
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    # null: it never had one (the owner's list then counts from the ownership)
    since = models.DateField(_("without a next event since"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner without a next event")
        verbose_name_plural = _("partners without a next event")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "company"], name="activities_lapse_partner_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.company_id}: {self.since}"


class GoogleState(models.TextChoices):
    ACTIVE = "active", _("Connected")
    REVOKED = "revoked", _("Disconnected by Google")


class GoogleAccount(models.Model):
    """A user's connection to their Google calendar: the OAuth tokens (as google-auth writes
    them) and the calendar the activities go to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="google_account",
    )
    credentials = models.TextField(_("credentials"), editable=False)
    calendar_id = models.CharField(_("calendar"), max_length=200, default="primary")
    state = models.CharField(
        _("state"), max_length=10, choices=GoogleState.choices, default=GoogleState.ACTIVE
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("connected at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Google Calendar connection")
        verbose_name_plural = _("Google Calendar connections")

    def __str__(self) -> str:
        return str(self.user)


class ObservationKind(models.TextChoices):
    COMPETITOR_PRICE = "price", _("Competitor's price")
    OWN_STOCK = "stock", _("Our product's stock")


class Observation(models.Model):
    """What the user saw at a reseller during a meeting: a competitor's product price, or
    the stock of one of our products. (Products are free text until the sales app brings
    the product list.)"""

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="observations",
    )
    kind = models.CharField(_("kind"), max_length=5, choices=ObservationKind.choices)
    product = models.CharField(_("product"), max_length=200)
    competitor = models.CharField(_("competitor"), max_length=200, blank=True)
    price = models.DecimalField(
        _("price (HUF)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    quantity = models.DecimalField(
        _("stock (pieces)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["pk"]
        indexes = [models.Index(fields=["product", "competitor"], name="activities_obs_product")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="price", price__isnull=False, competitor__gt="")
                | Q(kind="stock", quantity__isnull=False),
                name="activities_observation_complete",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="activities_observation_price",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=0),
                name="activities_observation_quantity",
            ),
        ]

    def __str__(self) -> str:
        return self.product

    def clean(self):
        errors = {}
        if self.kind == ObservationKind.COMPETITOR_PRICE:
            if self.price is None:
                errors["price"] = _("Give the price seen.")
            if not self.competitor:
                errors["competitor"] = _("Give whose product it is.")
        if self.kind == ObservationKind.OWN_STOCK and self.quantity is None:
            errors["quantity"] = _("Give the stock seen.")
        # Checked here, before the database's constraints would refuse them with their names.
        if self.price is not None and self.price < 0:
            errors["price"] = _("The price cannot be negative.")
        if self.quantity is not None and self.quantity < 0:
            errors["quantity"] = _("The stock cannot be negative.")
        elif self.quantity is not None and self.quantity != self.quantity.to_integral_value():
            errors["quantity"] = _("Give the stock in whole pieces.")
        if errors:
            raise ValidationError(errors)
