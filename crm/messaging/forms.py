from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel, Status


class OutboxFilterForm(forms.Form):
    """The outbox filters; a wrong value is a message under the filters, not a 500."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all")), *Status.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("all")), *Channel.choices]
    )
    day_from = forms.DateField(label=_("From"), required=False)
    day_to = forms.DateField(label=_("To"), required=False)
    about = forms.RegexField(regex=r"^\w+\.\w+\.[\w-]+$", required=False)
    after = forms.IntegerField(min_value=1, required=False)
