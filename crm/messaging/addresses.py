"""Recipient addresses: checked and normalised when a message is queued, never at send time."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import Channel

DEFAULT_REGION = "HU"


def normalise_phone(raw: str) -> str:
    """+36301234567 (E.164) from the ways Hungarians write numbers: 06 30 123 4567,
    +36-30/123-4567, 0036 30 1234567."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("%(number)s is not a valid phone number.") % {"number": raw}, code="phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_recipient(channel: str, raw: str) -> str:
    if channel == Channel.EMAIL:
        address = (raw or "").strip()
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("%(address)s is not a valid e-mail address.") % {"address": raw},
                code="email",
            ) from None
        local, _at, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}"
    if channel == Channel.SMS:
        number = normalise_phone(raw)
        parsed = phonenumbers.parse(number)
        kind = phonenumbers.number_type(parsed)
        if kind not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            raise ValidationError(
                _("%(number)s is not a mobile number, so it cannot receive an SMS.")
                % {"number": raw},
                code="not_mobile",
            )
        return number
    return normalise_phone(raw)
