"""Money, quantities and percentages as the sales pages show them (``1 234 567 Ft``)."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from sales.pricing import round_money

register = template.Library()
SYMBOLS = {"HUF": "Ft", "EUR": "€"}


@register.filter
def money(value, currency="HUF"):
    """A value as documents show it: whole forints, euro cents, grouped by thousands."""
    if value is None or value == "":
        return ""
    amount = round_money(Decimal(value), currency or "HUF")
    places = 0 if currency in ("HUF", "", None) else 2
    return (
        f"{number_format(amount, places, force_grouping=True)}\xa0{SYMBOLS.get(currency, currency)}"
    )


@register.filter
def price(value, currency="HUF"):
    """A unit price: two decimals only when it has fillér or cents."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    places = 0 if amount == amount.to_integral() and currency == "HUF" else 2
    return (
        f"{number_format(amount, places, force_grouping=True)}\xa0{SYMBOLS.get(currency, currency)}"
    )


@register.filter
def qty(value):
    """A quantity without trailing zeros: 3, 2,5, 0,125."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    text = f"{amount.normalize():f}"
    places = len(text.split(".")[1]) if "." in text else 0
    return number_format(amount, places, force_grouping=True)


@register.filter
def percent(value):
    if value is None or value == "":
        return ""
    return f"{qty(value)} %"
