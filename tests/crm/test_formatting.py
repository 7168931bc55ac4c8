"""crm.dates and crm.choices: the same text as Django's ``date`` filter and
``get_FOO_display()``, in both languages."""

import datetime
import re
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from activities.models import Outcome
from crm.choices import choice_label, choice_labels
from crm.dates import formatter, shown
from partners.models import County

BUDAPEST = zoneinfo.ZoneInfo("Europe/Budapest")
# Around both daylight-saving changes, midnight, New Year and single-digit days and hours.
MOMENTS = [
    datetime.datetime(2026, 3, 29, 0, 59, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 29, 1, 0, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 10, 25, 0, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 10, 25, 1, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 31, 23, 5, 9, tzinfo=datetime.UTC),
    datetime.datetime(2027, 1, 1, 7, 4, tzinfo=BUDAPEST),
    datetime.datetime(999, 2, 3, 4, 5, 6),  # naive, a year of three digits
]
DAYS = [datetime.date(2026, 11, 22), datetime.date(2027, 1, 5), datetime.date(45, 6, 7)]


def _filter(value, format_name: str) -> str:
    return Template("{{ value|date:name }}").render(Context({"value": value, "name": format_name}))


@pytest.mark.parametrize("language", ["hu", "en"])
@pytest.mark.parametrize("format_name", ["SHORT_DATETIME_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT"])
def test_moments_as_the_date_filter_shows_them(language, format_name):
    with translation.override(language), timezone.override(BUDAPEST):
        show = shown(format_name)
        for moment in MOMENTS:
            assert show(moment) == _filter(moment, format_name), moment


@pytest.mark.parametrize("language", ["hu", "en"])
@pytest.mark.parametrize("format_name", ["SHORT_DATE_FORMAT", "DATE_FORMAT", "YEAR_MONTH_FORMAT"])
def test_days_as_the_date_filter_shows_them(language, format_name):
    with translation.override(language):
        show = shown(format_name)
        for day in DAYS:
            assert show(day) == _filter(day, format_name), day


def test_the_hungarian_short_formats():
    with translation.override("hu"), timezone.override(BUDAPEST):
        assert shown("SHORT_DATE_FORMAT")(datetime.date(2026, 11, 22)) == "2026. 11. 22."
        # 23:05 UTC on New Year's Eve is already the next year in Budapest
        assert shown("SHORT_DATETIME_FORMAT")(MOMENTS[4]) == "2027. 01. 01. 00:05"


def test_other_formats_are_left_to_django():
    day = datetime.date(2026, 11, 22)
    with translation.override("hu"):
        assert formatter("Y. F j.")(day) == "2026. november 22."
        assert formatter(r"\Y: Y")(day) == "Y: 2026"
    assert formatter("{Y}")(day) == "{2026}"
    assert formatter("j M Y")(day) == "22 Nov 2026"


@pytest.mark.parametrize("language", ["hu", "en"])
def test_choice_labels_as_get_display_shows_them(language):
    from activities.models import Activity
    from partners.models import Partner

    with translation.override(language):
        for value, _label in Outcome.choices:
            assert choice_label(Outcome, value) == Activity(outcome=value).get_outcome_display()
        for value, _label in County.choices:
            assert choice_label(County, value) == Partner(county=value).get_county_display()
        assert choice_label(County, "zz") == Partner(county="zz").get_county_display() == "zz"
    assert choice_labels(Outcome)["successful"] in {"Successful", "Sikeres"}


@pytest.mark.parametrize("language", ["hu", "en"])
def test_the_templates_date_filter_is_djangos_text(language):
    """Every template's ``date`` is crm.templatetags.crm_builtins' (a builtin): the same text as
    Django's own filter, whatever it is given."""
    from django.template import defaultfilters

    from crm.templatetags import crm_builtins

    template = Template("{{ value|date:name }}|{{ value|date }}")
    assert template.engine.template_builtins[-1].filters["date"] is crm_builtins.date
    values = [*MOMENTS, *DAYS, None, "", "2026-11-22", 42, datetime.time(7, 5)]
    names = ["SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "Y. m. d. H:i", "H:i", "j F Y", ""]
    with translation.override(language), timezone.override(BUDAPEST):
        for value in values:
            for name in names:
                local = timezone.template_localtime(value)
                try:
                    expected = f"{defaultfilters.date(local, name)}|{defaultfilters.date(local)}"
                except TypeError as refused:  # a time format for a date: refused alike
                    with pytest.raises(TypeError, match=re.escape(str(refused))):
                        template.render(Context({"value": value, "name": name}))
                    continue
                got = template.render(Context({"value": value, "name": name}))
                assert got == expected, (value, name)


URL_FORMS = [
    "{% url 'partners:detail' pk %}",
    "{% url 'activities:follow-up' pk 7 %}",
    "{% url 'activities:follow-up' pk=pk type_pk=7 %}",
    "{% url 'partners:detail' pk as link %}[{{ link }}]",
    "{% url 'partners:columns' 'partners' %}",
    "{% url 'partners:list' %}",
    "{% url name pk %}",
    "{% url 'messaging:unsubscribe' '<b>&x' %}",
    "{% autoescape off %}{% url 'partners:detail' pk %}{% endautoescape %}",
    "{% url 'partners:no-such-page' pk as link %}[{{ link }}]",
]


@pytest.mark.parametrize("form", URL_FORMS)
@pytest.mark.parametrize("pk", [1, 2_147_483_647, True, -5])
def test_the_url_tag_gives_djangos_url(form, pk):
    """Every template's ``url`` is crm.templatetags.crm_builtins': the same URL as Django's tag
    (integer arguments from a pattern reversed once, anything else by Django's node)."""
    from django.template import Engine
    from django.urls import NoReverseMatch

    def render(template) -> str:
        try:
            return template.render(Context({"pk": pk, "name": "partners:detail"}))
        except NoReverseMatch as refused:  # a yes/no is no id: refused alike
            return f"refused: {refused}"

    expected = render(Engine(builtins=[]).from_string(form))  # Django's builtins only
    assert render(Template(form)) == expected
    assert render(Template(form)) == expected  # the pattern remembered


def test_a_url_that_does_not_exist_is_refused_alike():
    from django.urls import NoReverseMatch

    for form in ("{% url 'partners:no-such-page' 5 %}", "{% url 'partners:detail' 5 6 %}"):
        with pytest.raises(NoReverseMatch):
            Template(form).render(Context({}))


def test_a_pattern_that_refuses_the_placeholders_is_left_to_reverse():
    """A pattern narrower than any integer (four digits here) cannot be reversed with the
    placeholders: the link comes from reverse(), as Django's tag gives it, never an error."""
    from django.urls import set_urlconf

    from crm.links import int_args_url, record_url

    set_urlconf("tests.crm.narrow_urls")
    try:
        assert int_args_url("archive", (2026,)) is None
        assert record_url("archive", 2026) == "/archive/2026/"
        assert Template("{% url 'archive' 2026 %}").render(Context({})) == "/archive/2026/"
    finally:
        set_urlconf(None)
