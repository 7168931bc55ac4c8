"""Numbers typed the Hungarian way (``1 234,50``) or the English way (``1,234.50``), for the
sales forms and the product import."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_decimal(text) -> Decimal:
    """``1 234,50`` / ``1234,5`` / ``1,234.50`` / ``1.234,50`` / ``-3`` → Decimal; ValueError
    for anything else. A lone separator followed by three digits (``1.234``, ``1,234``) is
    read as a decimal point with a comma and as thousands with a dot, as Hungarians write."""
    if isinstance(text, Decimal | int):
        return Decimal(text)
    raw = _SPACES.sub("", str(text or "")).replace("Ft", "").replace("€", "")
    if not raw:
        raise ValueError("empty")
    if "," in raw and "." in raw:
        # the later one is the decimal separator
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif "," in raw:
        raw = raw.replace(",", ".")
    elif raw.count(".") == 1 and re.fullmatch(r"-?\d{1,3}\.\d{3}", raw) or raw.count(".") > 1:
        raw = raw.replace(".", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", raw):
        raise ValueError(text)
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValueError(text) from None


class LocalDecimalField(forms.DecimalField):
    """A decimal field that reads ``1 234,50`` and shows its value as Hungarians write it."""

    default_error_messages = {"invalid": _("Type a number, like 1 234,50.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_decimal(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            if value == value.to_integral():
                value = value.quantize(Decimal(1))
            return number_format(value, force_grouping=True)
        return value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)
        return attrs
