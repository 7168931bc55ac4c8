"""What every app's forms share."""

import threading

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import get_language


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


# Shared forms' fields as their prototypes built them, by (prototype, language): shared by the
# requests of the worker while the reference lists they were built from are the current ones
# (the same objects: the reference modules keep them per generation). A filter field holds no
# state of a request, so validating and drawing it in many requests is safe.
_shared: dict[tuple, tuple] = {}
_shared_lock = threading.Lock()


class SharedFieldsForm(forms.Form):
    """A (filter) form whose fields are built once per worker, language and reference lists
    (``prototype``, a form with no arguments) instead of on every request: building them
    (copying every declared field, a choice list for each select) cost more than some pages'
    own queries. Select boxes get ``PreparedChoices``. ``sources()`` names the reference
    lists the prototype draws from; ``self.built`` is the prototype's instance, for whatever
    else it prepared. A subclass that changes a field for one request replaces it with a copy
    in ``self.fields``, never changes the shared one."""

    prototype: type[forms.Form]
    # A hashable value the prototype is built with, when the fields differ between groups of
    # users (the activity types a user may see): one set of fields per variant.
    variant = None

    def sources(self) -> tuple:
        """The reference lists the fields are drawn from: a new list object builds them again."""
        return ()

    def __init__(self, data=None):
        super().__init__(data)  # no declared fields of its own: nothing to copy
        key, sources = (self.prototype, get_language(), self.variant), self.sources()
        with _shared_lock:
            shared = _shared.get(key)
        if shared is None or any(a is not b for a, b in zip(shared[0], sources, strict=True)):
            built = self.prototype() if self.variant is None else self.prototype(self.variant)
            for field in built.fields.values():
                if isinstance(field, forms.ChoiceField):  # drawn once per language
                    field.choices = PreparedChoices(field.choices)
            shared = (sources, built)
            with _shared_lock:
                _shared[key] = shared
        self.built = shared[1]
        self.fields = dict(self.built.fields)
