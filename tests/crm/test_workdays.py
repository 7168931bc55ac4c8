import datetime

from django.utils import translation

from crm import workdays

D = datetime.date


def test_moved_working_days_of_2026():
    assert workdays.is_working_day(D(2026, 1, 10))  # Saturday, worked for 2 January
    assert not workdays.is_working_day(D(2026, 1, 2))  # Friday, day off
    assert workdays.is_working_day(D(2026, 8, 8))  # Saturday, worked for 21 August
    assert not workdays.is_working_day(D(2026, 8, 21))  # Friday, day off


def test_weekends_and_holidays_are_not_working_days():
    assert not workdays.is_working_day(D(2026, 11, 22))  # Sunday
    assert not workdays.is_working_day(D(2026, 10, 23))  # national holiday
    assert workdays.is_working_day(D(2026, 11, 23))


def test_adding_working_days_skips_christmas():
    # Wed 23 Dec 2026; 24 (Christmas Eve, a holiday since 2025), 25, 26 and Sunday 27 are off.
    assert workdays.add_working_days(D(2026, 12, 23), 1) == D(2026, 12, 28)
    assert workdays.add_working_days(D(2026, 12, 22), 2) == D(2026, 12, 28)
    assert workdays.add_working_days(D(2026, 12, 23), 0) == D(2026, 12, 23)


def test_going_back_in_working_days():
    assert workdays.add_working_days(D(2026, 11, 23), -1) == D(2026, 11, 20)


def test_holiday_names_follow_the_language():
    with translation.override("hu"):
        assert workdays.holiday_name(D(2026, 12, 25)) == "Karácsony"
        assert workdays.next_holiday(D(2026, 12, 27))[0] == D(2027, 1, 1)
    with translation.override("en"):
        assert workdays.holiday_name(D(2026, 12, 25)) == "Christmas Day"
