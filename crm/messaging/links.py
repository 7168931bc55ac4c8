"""Public links that mails and gateways call back: open pixel, unsubscribe, SMS report."""

from django.conf import settings
from django.urls import reverse

from .models import Message

_PLACEHOLDER = "0" * 24


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _with_token(name: str, token: str) -> str:
    """reverse() once per URL name, then the token put in (a campaign builds thousands)."""
    key = (name, settings.SITE_URL)
    if key not in _PATTERNS:
        _PATTERNS[key] = _absolute(reverse(name, args=[_PLACEHOLDER]))
    return _PATTERNS[key].replace(_PLACEHOLDER, token)


_PATTERNS: dict[tuple[str, str], str] = {}


def open_pixel_url(message: Message) -> str:
    return _with_token("messaging:opened", message.token)


def unsubscribe_url(message: Message) -> str:
    return _with_token("messaging:unsubscribe", message.token)


def sms_callback_url(message: Message) -> str:
    from .channels import sms_callback_signature

    path = reverse("messaging:sms_report", args=[message.token])
    return _absolute(f"{path}?sig={sms_callback_signature(message.token)}")
