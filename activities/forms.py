import datetime
import json

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin, SharedFieldsForm
from partners.forms import reference_choices
from partners.models import Contact

from .assignment import NOT_ALLOWED, ONLY_TASKS, assignable_users
from .models import (
    KIND_DEPENDENT_FIELDS,
    KIND_FIELDS,
    Activity,
    ActivityType,
    Kind,
    Outcome,
    State,
    TaskName,
    kinds_with,
)
from .reference import activity_types, hidden_type_ids


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date and time picker (``datetime-local``), on a phone too."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class HandlerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class ActivityForm(BootstrapMixin, forms.ModelForm):
    """The plan of an activity. The types offered are those the user may use (after another
    activity: only those allowed to follow it); the contacts are the partner's. Without a
    partner it is an internal task's form: task types only, no contact, a title required.
    The handler: those the user may give a task to (``activities.assignment``), and the one
    the activity has; left empty, the user (new) or the one it has (edit)."""

    type = TypeChoiceField(queryset=ActivityType.objects.none(), label=_("Type"))
    owner = HandlerChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label=_("Handler"),
        empty_label=None,
        help_text=_("A task may be given to a colleague; they are told by e-mail."),
        error_messages={"invalid_choice": NOT_ALLOWED},
    )
    participants = PersonChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label=_("Participants"),
        widget=forms.CheckboxSelectMultiple,  # ticked on a phone too (no Ctrl-click)
    )
    # The result, on a new activity whose planned end has already passed (recorded after the
    # fact): saved closed in the same step (services.activity_record).
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, required=False, widget=forms.RadioSelect
    )
    result_notes = forms.CharField(
        label=_("Result notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = Activity
        fields = [
            "type",
            "subject",
            "owner",
            "contact",
            "task_name",
            "starts_at",
            "ends_at",
            "deadline",
            "place",
            "participants",
            "reminder_minutes",
            "description",
        ]
        widgets = {
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
            "deadline": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, partner, types, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.instance.partner = partner
        self.fields["type"].queryset = ActivityType.objects.filter(pk__in=[t.pk for t in types])
        if partner is None:  # an internal task: one of the task types, no contact
            self.fields["type"].empty_label = None
            del self.fields["contact"]
            self.fields["subject"].label = _("Title")
            self.fields["subject"].error_messages["required"] = _(
                "Give the internal task a title: say what is to be done."
            )
        else:
            self.fields["contact"].queryset = Contact.objects.filter(
                partner=partner, erased_at__isnull=True
            ).order_by("family_name", "given_name")
            self.fields["contact"].label_from_instance = lambda c: c.full_name
        self.previous_owner_id = self.instance.owner_id if self.instance.pk else None
        handlers = assignable_users(user, company_id)
        if self.previous_owner_id is not None:
            handlers = handlers | get_user_model().objects.filter(pk=self.previous_owner_id)
        self.fields["owner"].queryset = handlers.distinct()
        self.fields["owner"].initial = self.previous_owner_id or user.pk
        self.fields["task_name"].queryset = TaskName.objects.filter(active=True)
        self.fields["participants"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, memberships__company_id=company_id)
            .exclude(pk=user.pk)
            .order_by("last_name", "first_name")
        )
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["reminder_minutes"].widget.attrs["min"] = 0
        if self.instance.pk:  # an existing activity is closed on its page
            del self.fields["outcome"], self.fields["result_notes"]
        self.style_fields()
        if "outcome" in self.fields:
            self.fields["outcome"].widget.attrs["class"] = "form-check-input"
        # What the page needs to show only the fields of the chosen type's kind (static/crm/js)
        self.type_kinds = {str(t.pk): t.kind for t in types}
        self.kind = self._chosen_kind()
        self.field_kinds = {name: " ".join(kinds_with(name)) for name in KIND_DEPENDENT_FIELDS}
        fitting = KIND_FIELDS.get(self.kind, KIND_DEPENDENT_FIELDS)
        self.hidden_by_kind = [name for name in KIND_DEPENDENT_FIELDS if name not in fitting]
        self.in_the_past = False  # set by clean(): the result part is shown

    def _chosen_kind(self) -> str | None:
        if self.is_bound:
            chosen = self.data.get("type")
        else:
            chosen = self.initial.get("type") or self.instance.type_id
        return self.type_kinds.get(str(chosen or ""))

    @property
    def type_kinds_json(self) -> str:
        return json.dumps(self.type_kinds)

    def clean_owner(self):
        """Empty: the handler stays (the user, on a new activity)."""
        handler = self.cleaned_data.get("owner")
        if handler is None:
            return self.instance.owner if self.previous_owner_id else self.user
        return handler

    def clean(self):
        cleaned = super().clean()
        kind = cleaned["type"].kind if cleaned.get("type") else None
        internal = "contact" not in self.fields  # its title's own message says enough
        untold = not cleaned.get("task_name") and not cleaned.get("subject")
        if kind == Kind.TASK and untold and not internal:
            self.add_error("task_name", _("Choose the task."))
        handler = cleaned.get("owner")
        unchanged = self.previous_owner_id or self.user.pk
        if kind and kind != Kind.TASK and handler is not None and handler.pk != unchanged:
            self.add_error("owner", ONLY_TASKS)
        if kind:
            self._drop_unfitting(cleaned, kind)
        if "outcome" in self.fields:
            self._result_after_the_fact(cleaned, cleaned["type"] if kind else None)
        return cleaned

    def _drop_unfitting(self, cleaned: dict, kind: str) -> None:
        """The fields the kind has not are emptied, whatever was sent (and their errors
        forgotten): a meeting has no task name or deadline, a letter no place."""
        for name in KIND_DEPENDENT_FIELDS:
            if name in KIND_FIELDS[kind]:
                continue
            self._errors.pop(name, None)
            cleaned[name] = [] if name == "participants" else ("" if name == "place" else None)

    def _result_after_the_fact(self, cleaned: dict, activity_type) -> None:
        """A new activity whose planned end has passed is saved closed with the result given
        here; a meeting must have one (it would block its handler at once). Before its end,
        a result sent along is ignored."""
        end = planned_end(cleaned, activity_type.kind if activity_type else None)
        self.in_the_past = end is not None and end <= timezone.now()
        if not self.in_the_past:
            cleaned["outcome"], cleaned["result_notes"] = "", ""
            return
        if not cleaned.get("outcome") and not activity_type.has_result:
            cleaned["outcome"] = Outcome.SUCCESSFUL if activity_type.kind == Kind.MEETING else ""
        if activity_type.kind == Kind.MEETING and not cleaned.get("outcome"):
            self.add_error(
                "outcome",
                _(
                    "This meeting is already over: a meeting in the past must be recorded with"
                    " its result. Choose how it went (successful, unsuccessful or cancelled)."
                ),
            )


def planned_end(cleaned: dict, kind: str | None) -> datetime.datetime | None:
    """When the planned activity ends, as the service will complete it: a task at the end of
    its deadline's day (the start's day unless told), a meeting at its end (an hour after the
    start unless told), anything else at its end or start."""
    start = cleaned.get("starts_at")
    if start is None or kind is None:
        return None
    if kind == Kind.TASK:
        day = cleaned.get("deadline") or timezone.localdate(start)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
    if cleaned.get("ends_at"):
        return cleaned["ends_at"]
    if kind == Kind.MEETING:
        return start + datetime.timedelta(hours=1)
    return start


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an outcome to close the activity.")},
    )
    result_notes = forms.CharField(
        label=_("Result notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class _TimelineFilterFields(BootstrapMixin, forms.Form):
    """The timeline's filters as built once per worker and language (TimelineFilterForm)."""

    type = forms.ModelChoiceField(
        queryset=ActivityType.objects.filter(active=True),
        required=False,
        label=_("Type"),
        empty_label=_("Every type"),
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Every state")), *State.choices]
    )

    def __init__(self, hidden: tuple[int, ...] = ()):
        super().__init__()
        if hidden:
            self.fields["type"].queryset = self.fields["type"].queryset.exclude(pk__in=hidden)
        reference_choices(
            self, type=[t for t in activity_types() if t.active and t.pk not in hidden]
        )
        self.style_fields()
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-select-sm"


class TimelineFilterForm(SharedFieldsForm):
    """The timeline's filters: type and state (its fields shared, crm.forms.SharedFieldsForm),
    without the special types ``user`` lacks the function of (``reference.hidden_type_ids``)."""

    prototype = _TimelineFilterFields

    def __init__(self, data=None, *, user=None):
        hidden = tuple(sorted(hidden_type_ids(user))) if user is not None else ()
        self.variant = hidden or None
        super().__init__(data)

    def sources(self) -> tuple:
        return (activity_types(),)
