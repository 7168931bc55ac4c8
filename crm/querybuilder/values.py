"""Values as people type them into a query: Hungarian numbers (``1 234,5``) and dates
(``2026. 11. 22.``), and relative periods ("this quarter", "last 30 days") as date ranges."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_DATE = re.compile(r"^(\d{4})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})\s*\.?$")


class BadValue(ValueError):
    """A value that is not what its field needs; the message says what is expected."""


def parse_number(value) -> Decimal:
    """``1 234,5``, ``1234.5``, ``1.234,5`` and numbers as numbers: a Decimal."""
    if isinstance(value, bool):
        raise BadValue(_("Give a number, like 1 234,5."))
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = _SPACES.sub("", str(value or ""))
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadValue(_("Give a number, like 1 234,5.")) from None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise BadValue(_("Give a number, like 1 234,5."))
    return number


def parse_date(value) -> datetime.date:
    """``2026. 11. 22.``, ``2026.11.22``, ``2026-11-22`` and dates as dates."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = _DATE.match(str(value or "").strip())
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise BadValue(_("Give a date, like 2026. 11. 22."))


def parse_boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "igen"):
        return True
    if text in ("false", "0", "no", "nem"):
        return False
    raise BadValue(_("Give yes or no."))


# ------------------------------------------------------------------------- relative periods

RELATIVE = [
    ("today", _("today")),
    ("yesterday", _("yesterday")),
    ("tomorrow", _("tomorrow")),
    ("this_week", _("this week")),
    ("last_week", _("last week")),
    ("next_week", _("next week")),
    ("this_month", _("this month")),
    ("last_month", _("last month")),
    ("next_month", _("next month")),
    ("this_quarter", _("this quarter")),
    ("last_quarter", _("last quarter")),
    ("next_quarter", _("next quarter")),
    ("this_year", _("this year")),
    ("last_year", _("last year")),
    ("last_7_days", _("last 7 days")),
    ("last_30_days", _("last 30 days")),
    ("last_90_days", _("last 90 days")),
    ("next_7_days", _("next 7 days")),
    ("next_30_days", _("next 30 days")),
]
RELATIVE_KEYS = {key for key, _label in RELATIVE}


def _month_start(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period(key: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a relative period, weeks from Monday."""
    one = datetime.timedelta(days=1)
    if key in ("today", "yesterday", "tomorrow"):
        day = today + one * {"today": 0, "yesterday": -1, "tomorrow": 1}[key]
        return day, day
    if key.endswith("_week"):
        shift = {"this_week": 0, "last_week": -1, "next_week": 1}[key]
        start = today - one * today.weekday() + datetime.timedelta(weeks=shift)
        return start, start + one * 6
    if key.endswith("_month"):
        shift = {"this_month": 0, "last_month": -1, "next_month": 1}[key]
        start = _month_start(today, shift)
        return start, _month_start(start, 1) - one
    if key.endswith("_quarter"):
        shift = {"this_quarter": 0, "last_quarter": -3, "next_quarter": 3}[key]
        first = _month_start(today, -((today.month - 1) % 3))
        start = _month_start(first, shift)
        return start, _month_start(start, 3) - one
    if key.endswith("_year"):
        year = today.year + {"this_year": 0, "last_year": -1}[key]
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    days = int(key.split("_")[1])
    if key.startswith("last_"):
        return today - one * (days - 1), today
    return today, today + one * (days - 1)
