"""The one Hungarian working-day calendar: public holidays and the officially moved days.

Dunning, forced closure and workflow timers all ask this module, never ``weekday()``.
The ``holidays`` package keeps the government's yearly decree of moved working days
(e.g. in 2026 Saturday 10 January is a working day and Friday 2 January a day off).
"""

import datetime
from functools import lru_cache

import holidays
from django.utils.translation import get_language


@lru_cache(maxsize=32)
def _calendar_for(year: int, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("HU", years=year, language=language)


def _calendar(year: int) -> holidays.HolidayBase:
    """The year's calendar, with holiday names in the active UI language."""
    return _calendar_for(year, "hu" if (get_language() or "hu").startswith("hu") else "en_US")


def is_working_day(day: datetime.date) -> bool:
    return _calendar(day.year).is_working_day(day)


def holiday_name(day: datetime.date) -> str | None:
    return _calendar(day.year).get(day)


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The date ``count`` working days after (or before, if negative) ``day``."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += datetime.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def next_holiday(day: datetime.date) -> tuple[datetime.date, str] | None:
    """The next public holiday strictly after ``day`` (looks into the following year too)."""
    for year in (day.year, day.year + 1):
        upcoming = sorted((d, n) for d, n in _calendar(year).items() if d > day)
        if upcoming:
            return upcoming[0]
    return None
