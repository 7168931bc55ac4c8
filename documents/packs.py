"""Document packs: the values a pack's documents share are asked once (``SharedValuesForm``,
read the Hungarian way: ``1 234,50``, ``2026. 11. 22.``), then every document of the pack is
drawn and stored, all linked to the record (``pack_generate``)."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin
from crm.templating import hungarian_date, hungarian_number

from . import generator
from .engines import Raw
from .generator_models import FieldKind

DATE_FORMATS = ["%Y. %m. %d.", "%Y.%m.%d.", "%Y. %m. %d", "%Y.%m.%d", "%Y-%m-%d"]
SPACES = re.compile(r"[\s\u00a0\u202f]")
THOUSANDS_WITH_DOTS = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")


def parse_number(text: str) -> Decimal:
    """``1 234,50``, ``1234,5``, ``1.234.567`` or ``-12`` as a Decimal: spaces (also
    non-breaking ones) group thousands, the comma is the decimal sign."""
    raw = SPACES.sub("", text or "")
    if THOUSANDS_WITH_DOTS.match(raw):
        raw = raw.replace(".", "")
    if "." in raw:
        raise ValidationError(
            _("Write decimals with a comma, like 1 234,50."), code="decimal_comma"
        )
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise ValidationError(_("Not a number: write it like 1 234,50."), code="number") from None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise ValidationError(_("Not a number: write it like 1 234,50."), code="number")
    return number


class HungarianNumberField(forms.CharField):
    def __init__(self, *, whole: bool = False, **kwargs):
        self.whole = whole
        super().__init__(**kwargs)
        self.widget.attrs.update({"maxlength": "40", "inputmode": "decimal"})

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if len(text) > 40:
            raise ValidationError(_("Not a number: write it like 1 234,50."), code="number")
        number = parse_number(text)
        if self.whole and number != number.to_integral_value():
            raise ValidationError(_("Forint amounts are whole numbers."), code="whole")
        return number


def _field(field) -> forms.Field:
    common = {"label": field.label, "required": field.required, "help_text": field.help_text}
    placeholder = field.example
    if field.kind == FieldKind.NUMBER:
        form_field = HungarianNumberField(**common)
        placeholder = placeholder or "1 234,50"
    elif field.kind == FieldKind.AMOUNT:
        form_field = HungarianNumberField(whole=True, **common)
        placeholder = placeholder or "1 234 567"
    elif field.kind == FieldKind.DATE:
        form_field = forms.DateField(input_formats=DATE_FORMATS, **common)
        placeholder = placeholder or "2026. 11. 22."
        form_field.error_messages["invalid"] = _("Not a date: write it like 2026. 11. 22.")
    elif field.kind == FieldKind.LONG_TEXT:
        form_field = forms.CharField(
            max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), **common
        )
    else:
        form_field = forms.CharField(max_length=500, **common)
    if placeholder:
        form_field.widget.attrs["placeholder"] = placeholder
    return form_field


def shown(field, value):
    """A cleaned value as templates get it: text as a Hungarian document writes it, with the
    number or date itself for a spreadsheet cell (``engines.Raw``)."""
    if value in (None, ""):
        return ""
    if field.kind == FieldKind.NUMBER:
        return Raw(hungarian_number(value), value)
    if field.kind == FieldKind.AMOUNT:
        return Raw(f"{hungarian_number(value, 0)} Ft", value)
    if field.kind == FieldKind.DATE:
        return Raw(hungarian_date(value), value)
    return value


class SharedValuesForm(BootstrapMixin, forms.Form):
    """The shared values of a pack (or of one template's packs), asked once."""

    def __init__(self, *args, fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.shared_fields = list(fields)
        for field in self.shared_fields:
            self.fields[f"shared_{field.key}"] = _field(field)
        self.style_fields()

    def shared(self) -> tuple[dict, dict]:
        """(the templates' ``shared`` values, the values as typed to keep with the result)."""
        values, kept = {}, {}
        for field in self.shared_fields:
            value = self.cleaned_data.get(f"shared_{field.key}")
            values[field.key] = shown(field, value)
            kept[field.key] = str(values[field.key])
        return values, kept


def pack_fields(pack) -> list:
    return list(pack.fields.order_by("order", "pk"))


def pack_generate(*, pack, kind: str, record, user, shared: dict, values: dict, ip=None):
    """Every document of ``pack`` for ``record``: all drawn first (a template that fails
    raises ``TemplateProblem`` and nothing is stored), then stored in one transaction."""
    templates = [
        item.template
        for item in pack.items.select_related("template__document__current_version").order_by(
            "order", "pk"
        )
    ]
    source = generator.source_for(user=user, kind=kind, record=record, shared=shared)
    from crm import templating

    context = templating.context(source)
    drawn = [generator.draw(template=t, source=source, context=context) for t in templates]
    return generator.store(drawn=drawn, user=user, record=record, pack=pack, values=values, ip=ip)
