"""Public links that mails and gateways call back: open pixel, unsubscribe, SMS report."""

from django.conf import settings
from django.urls import reverse

from .models import Message


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def open_pixel_url(message: Message) -> str:
    return _absolute(reverse("messaging:opened", args=[message.token]))


def unsubscribe_url(message: Message) -> str:
    return _absolute(reverse("messaging:unsubscribe", args=[message.token]))


def sms_callback_url(message: Message) -> str:
    from .channels import sms_callback_signature

    path = reverse("messaging:sms_report", args=[message.token])
    return _absolute(f"{path}?sig={sms_callback_signature(message.token)}")
