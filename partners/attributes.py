"""User-defined attributes: the form fields, the stored JSON values, their display and the list
filters, all from ``AttributeDefinition`` rows, so that they behave like built-in fields.

Values are stored as JSON scalars under the definition's key: text and choice as strings,
numbers as numbers, dates as ``YYYY-MM-DD``, yes/no as booleans, multiple choice as a list.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AttributeDefinition, AttributeKind

FIELD_PREFIX = "attr_"


def definitions(target: str) -> list[AttributeDefinition]:
    """The active definitions of ``target`` in their order (a cached reference list)."""
    from .reference import attribute_definitions

    return [d for d in attribute_definitions() if d.target == target]


def form_field(definition: AttributeDefinition) -> forms.Field:
    """The form field of one attribute."""
    common = {"label": definition.label, "required": definition.required}
    kind = definition.kind
    if kind == AttributeKind.NUMBER:
        return forms.DecimalField(max_digits=20, decimal_places=4, **common)
    if kind == AttributeKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == AttributeKind.BOOLEAN:
        # A required yes/no still accepts "no": the required part is that it is answered.
        return forms.TypedChoiceField(
            choices=[("", "–"), ("true", gettext_lazy("yes")), ("false", gettext_lazy("no"))],
            coerce=lambda v: v == "true",
            empty_value=None,
            **common,
        )
    if kind == AttributeKind.CHOICE:
        return forms.ChoiceField(choices=[("", "–"), *definition.choice_list()], **common)
    if kind == AttributeKind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=definition.choice_list(), widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(max_length=500, **common)


def add_fields(form: forms.Form, target: str, values: dict) -> list[str]:
    """Adds the attribute fields to ``form`` (initial values from ``values``); returns their
    names, in order."""
    names = []
    for definition in definitions(target):
        name = FIELD_PREFIX + definition.key
        field = form_field(definition)
        stored = values.get(definition.key)
        if stored is not None:
            if definition.kind == AttributeKind.BOOLEAN:
                field.initial = "true" if stored else "false"
            else:
                field.initial = stored
        form.fields[name] = field
        names.append(name)
    form.attribute_definitions = {FIELD_PREFIX + d.key: d for d in definitions(target)}
    return names


def to_json(definition: AttributeDefinition, value):
    """A cleaned form value as the JSON stored; None for empty."""
    if value in (None, "", []):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def collect(form: forms.Form, existing: dict) -> dict:
    """The ``attributes`` JSON after a valid form: values of defined attributes replaced,
    values of attributes no longer defined kept (an admin may reactivate them)."""
    result = dict(existing or {})
    for name, definition in getattr(form, "attribute_definitions", {}).items():
        value = to_json(definition, form.cleaned_data.get(name))
        if value is None:
            result.pop(definition.key, None)
        else:
            result[definition.key] = value
    return result


def parse(definition: AttributeDefinition, raw: str):
    """A value from text (imports): the JSON stored, or ValidationError with a clear message."""
    raw = (raw or "").strip()
    if not raw:
        if definition.required:
            raise ValidationError(_("%(label)s is required.") % {"label": definition.label})
        return None
    kind = definition.kind
    if kind == AttributeKind.NUMBER:
        try:
            number = Decimal(raw.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise ValidationError(
                _("%(label)s: %(value)s is not a number.")
                % {"label": definition.label, "value": raw}
            ) from None
        return to_json(definition, number)
    if kind == AttributeKind.DATE:
        cleaned = raw.replace(" ", "").rstrip(".").replace(".", "-")
        try:
            return datetime.date.fromisoformat(cleaned).isoformat()
        except ValueError:
            raise ValidationError(
                _("%(label)s: %(value)s is not a date like 2026. 11. 22.")
                % {"label": definition.label, "value": raw}
            ) from None
    if kind == AttributeKind.BOOLEAN:
        lowered = raw.lower()
        if lowered in {"igen", "yes", "true", "1", "i", "y", "x"}:
            return True
        if lowered in {"nem", "no", "false", "0", "n"}:
            return False
        raise ValidationError(
            _("%(label)s: answer yes or no (igen / nem), not %(value)s.")
            % {"label": definition.label, "value": raw}
        )
    if kind in (AttributeKind.CHOICE, AttributeKind.MULTIPLE):
        allowed = {}
        for value, label in definition.choice_list():
            allowed[value.lower()] = value
            allowed[label.lower()] = value
        parts = [p.strip() for p in raw.split(";")] if kind == AttributeKind.MULTIPLE else [raw]
        values = []
        for part in parts:
            if part.lower() not in allowed:
                raise ValidationError(
                    _("%(label)s: %(value)s is not one of the choices.")
                    % {"label": definition.label, "value": part}
                )
            values.append(allowed[part.lower()])
        return values if kind == AttributeKind.MULTIPLE else values[0]
    return raw[:500]


def display(definition: AttributeDefinition, value) -> str:
    """A stored value as the user reads it."""
    if value is None or value == "" or value == []:
        return ""
    kind = definition.kind
    if kind == AttributeKind.BOOLEAN:
        return _("yes") if value else _("no")
    if kind == AttributeKind.DATE:
        try:
            return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except (TypeError, ValueError):
            return str(value)
    if kind == AttributeKind.NUMBER:
        return number_format(value, use_l10n=True, force_grouping=True)
    if kind in (AttributeKind.CHOICE, AttributeKind.MULTIPLE):
        labels = dict(definition.choice_list())
        items = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in items)
    return str(value)


def displayed(target: str, values: dict) -> list[tuple[str, str]]:
    """(label, shown value) of every defined attribute that has a value."""
    shown = []
    for definition in definitions(target):
        text = display(definition, (values or {}).get(definition.key))
        if text:
            shown.append((definition.label, text))
    return shown


def filter_q(definition: AttributeDefinition, raw: str, *, field: str = "attributes"):
    """A condition on the JSON column for a list filter, served by its GIN index (containment).
    Text attributes match exactly here; free text search is the search box's job."""
    from django.db.models import Q

    try:
        value = parse(definition, raw)
    except ValidationError:
        return None
    if value is None:
        return None
    # For multiple choice, {"key": ["a"]} is contained in {"key": ["a", "b"]}.
    return Q(**{f"{field}__contains": {definition.key: value}})
