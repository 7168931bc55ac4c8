"""Hungarian business identifiers: tax numbers (adószám) and company registration numbers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TAX_NUMBER_RE = re.compile(r"^(\d{8})-?([1-5])-?(\d{2})$")
# County codes of the tax authority (02-20, 22, 41-44 and 51 for large taxpayers).
TAX_COUNTY_CODES = {f"{n:02d}" for n in range(2, 21)} | {"22", "41", "42", "43", "44", "51"}
TAX_WEIGHTS = (9, 7, 3, 1, 9, 7, 3)

REGISTRATION_RE = re.compile(r"^(\d{2})-?(\d{2})-?(\d{6})$")
# 01 = Budapest, 02-20 the county courts of registration.
REGISTRATION_COURTS = {f"{n:02d}" for n in range(1, 21)}
# Company forms: 01 (sole trader) ... 23; the common ones are 09 (Kft.) and 10 (Zrt./Nyrt.).
REGISTRATION_FORMS = {f"{n:02d}" for n in range(1, 24)}


def normalise_tax_number(value: str) -> str:
    """``12345676-2-41`` from any of ``12345676241``, ``12345676-2-41`` (with spaces too)."""
    match = TAX_NUMBER_RE.match(re.sub(r"\s", "", value or ""))
    if not match:
        raise ValidationError(
            _("A Hungarian tax number looks like 12345678-1-23."), code="tax_number_format"
        )
    core, vat, county = match.groups()
    total = sum(int(d) * w for d, w in zip(core[:7], TAX_WEIGHTS, strict=True))
    if (10 - total % 10) % 10 != int(core[7]):
        raise ValidationError(
            _("The check digit of this tax number is wrong; please check the number."),
            code="tax_number_checksum",
        )
    if county not in TAX_COUNTY_CODES:
        raise ValidationError(
            _("%(code)s is not a county code of a Hungarian tax number."),
            code="tax_number_county",
            params={"code": county},
        )
    return f"{core}-{vat}-{county}"


def validate_tax_number(value: str) -> None:
    normalise_tax_number(value)


def normalise_registration_number(value: str) -> str:
    """``01-09-123456`` (court, company form, serial number)."""
    match = REGISTRATION_RE.match(re.sub(r"\s", "", value or ""))
    if not match:
        raise ValidationError(
            _("A company registration number looks like 01-09-123456."),
            code="registration_format",
        )
    court, form, serial = match.groups()
    if court not in REGISTRATION_COURTS:
        raise ValidationError(
            _("%(code)s is not the code of a court of registration."),
            code="registration_court",
            params={"code": court},
        )
    if form not in REGISTRATION_FORMS:
        raise ValidationError(
            _("%(code)s is not a company form code."),
            code="registration_form",
            params={"code": form},
        )
    return f"{court}-{form}-{serial}"


def validate_registration_number(value: str) -> None:
    normalise_registration_number(value)
