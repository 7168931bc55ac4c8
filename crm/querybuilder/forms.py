from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .models import SavedQuery, ScheduledReport


class SavedQueryForm(BootstrapMixin, forms.Form):
    """What the builder page posts to save a query (new, or a change of the user's own)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    spec = forms.CharField(
        label=_("Query"),
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=_("The query as the builder page sends it (JSON)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class SavedQueryUpdateForm(SavedQueryForm):
    id = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ShareForm(BootstrapMixin, forms.Form):
    users = forms.ModelMultipleChoiceField(
        label=_("Colleagues"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Permission groups"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their members who work in this company see the query."),
    )

    def __init__(self, *args, users, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = users
        self.fields["groups"].queryset = groups
        self.style_fields()


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)


def initial_share(query: SavedQuery) -> dict:
    return {
        "users": list(query.shared_with_users.values_list("pk", flat=True)),
        "groups": list(query.shared_with_groups.values_list("pk", flat=True)),
    }


class ScheduleForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ScheduledReport
        fields = ["frequency", "weekday", "day_of_month", "recipients", "active"]
        widgets = {"recipients": forms.CheckboxSelectMultiple}

    def __init__(self, *args, recipients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = recipients
        self.fields["recipients"].help_text = _("Each gets the rows they may see themselves.")
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("frequency") == "weekly":
            data["day_of_month"] = None
            if data.get("weekday") is None:
                self.add_error("weekday", _("Choose the day of the week."))
        elif data.get("frequency") == "monthly":
            data["weekday"] = None
            if data.get("day_of_month") is None:
                self.add_error("day_of_month", _("Choose the day of the month (1–28)."))
        return data


class ScheduleEditForm(ScheduleForm):
    """A schedule's change; ``version`` is the one the page was loaded with (lost updates)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
