"""Validators of partner data (the Hungarian tax and registration numbers live in
``crm.validators``, shared with own companies)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.validators import validate_registration_number, validate_tax_number

__all__ = [
    "validate_eu_vat_number",
    "validate_postcode",
    "validate_registration_number",
    "validate_tax_number",
]

# EU VAT numbers: a member-state prefix and 2-12 letters or digits (Greece is EL).
EU_VAT_RE = re.compile(
    r"^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
    r"[0-9A-Z+*]{2,12}$"
)
HU_VAT_RE = re.compile(r"^HU\d{8}$")


def validate_eu_vat_number(value: str) -> None:
    compact = (value or "").replace(" ", "").upper()
    if not EU_VAT_RE.match(compact):
        raise ValidationError(
            _("An EU VAT number starts with the country code, like HU12345678."),
            code="eu_vat_format",
        )
    if compact.startswith("HU") and not HU_VAT_RE.match(compact):
        raise ValidationError(
            _("A Hungarian EU VAT number is HU followed by eight digits."), code="eu_vat_hu"
        )


def validate_postcode(value: str) -> None:
    """Hungarian postcodes have four digits and do not start with 0."""
    if not re.fullmatch(r"[1-9]\d{3}", value or ""):
        raise ValidationError(
            _("A Hungarian postcode has four digits, like 1117."), code="postcode"
        )
