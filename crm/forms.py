"""What every app's forms share."""

from django import forms
from django.utils.choices import BaseChoiceIterator


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates render ``{{ field }}`` as is."""

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class PreparedChoices(BaseChoiceIterator):
    """A select box's ``(value, label)`` pairs, made once and kept between requests: assigned
    to a field, they skip Django's normalisation of every pair (a millisecond for the few
    hundred people of a company's owner filter), and ``crm_forms.render_field`` draws their
    ``<option>`` list once per language (``html``) and only marks the selected one per
    request. Treat them as read-only."""

    def __init__(self, choices):
        self.choices = list(choices)
        self.html: dict[str, str] = {}

    def __iter__(self):
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)
