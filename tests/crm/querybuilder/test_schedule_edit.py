"""Editing a scheduled report: its maker changes recipients, day and the asked parameters'
values (checked with the run form's parsing), a stale page is refused, others get 404; the
daily run then uses the schedule's own values, each recipient seeing their own rows (real
outbox, real SMTP server on loopback)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.messaging import services
from crm.querybuilder.models import Frequency, SavedQuery, ScheduledReport
from crm.querybuilder.schedules import reports_send_due
from tests.access import check_access

from .saved_fixtures import ensure_querybuilder_defaults
from .test_schedules import _attachments

pytestmark = pytest.mark.django_db

# counties asked when run (saved: Csongrád) and the creation date from a day asked too
SPEC = {
    "base": "partners",
    "columns": ["name"],
    "filter": {
        "any": False,
        "items": [
            {"field": "county", "op": "equals", "value": "CS", "ask": True, "param": "county"},
            {
                "field": "created_at",
                "op": "between",
                "value": ["2000-01-01", "2100-01-01"],
                "ask": True,
                "param": "made",
            },
        ],
    },
    "sort": [{"field": "name", "desc": False}],
}


@pytest.fixture
def schedule(org, data):
    ensure_querybuilder_defaults()
    query = SavedQuery.objects.create(
        name="Megyei partnerek", spec=SPEC, owner=org.supervisor, company=org.company
    )
    made = ScheduledReport.objects.create(
        saved_query=query,
        company=org.company,
        frequency=Frequency.WEEKLY,
        weekday=0,
        created_by=org.supervisor,
    )
    made.recipients.set([org.owner])
    return made


def _url(schedule) -> str:
    return reverse("querybuilder:saved_schedule_edit", args=[schedule.pk])


def _post(schedule, **changes) -> dict:
    data = {
        "version": schedule.version,
        "frequency": "monthly",
        "day_of_month": "5",
        "recipients": [user.pk for user in schedule.recipients.all()],
        "active": "on",
        "p_county": "PE",
        "p_made": ["2020. 01. 01.", "2099. 12. 31."],
    }
    data.update(changes)
    return data


def test_the_maker_edits_recipients_day_and_parameters(client, org, schedule):
    client.force_login(org.supervisor)
    page = client.get(_url(schedule)).content.decode()
    assert 'data-testid="schedule-edit-form"' in page and 'name="p_county"' in page
    assert 'value="2000. 01. 01."' in page  # the query's own date, as Hungarians write it
    listed = client.get(reverse("querybuilder:saved_schedules", args=[schedule.saved_query_id]))
    assert _url(schedule) in listed.content.decode()

    response = client.post(_url(schedule), _post(schedule, recipients=[org.owner.pk, org.peer.pk]))
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.weekday, schedule.day_of_month) == ("monthly", None, 5)
    assert schedule.params == {"county": "PE", "made": ["2020. 01. 01.", "2099. 12. 31."]}
    assert set(schedule.recipients.all()) == {org.owner, org.peer}
    assert schedule.version == 2
    listed = client.get(reverse("querybuilder:saved_schedules", args=[schedule.saved_query_id]))
    assert 'data-testid="schedule-own-params"' in listed.content.decode()
    # the page shows the schedule's own values, not the query's
    page = client.get(_url(schedule)).content.decode()
    assert 'value="2020. 01. 01."' in page


def test_bad_values_are_refused_in_hungarian_and_nothing_is_lost(client, org, schedule):
    client.force_login(org.supervisor)
    response = client.post(
        _url(schedule),
        _post(schedule, p_made=["2026. 13. 45.", "2099. 12. 31."], frequency="weekly", weekday=""),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="param-error-made"' in page
    assert "Dátumot adjon meg, például: 2026. 11. 22." in page
    assert "Ellenőrizze a paraméterek értékeit." in page
    assert 'value="2026. 13. 45."' in page  # what was typed stays in the form
    assert 'data-testid="param-error-county"' not in page
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.weekday, schedule.params, schedule.version) == (
        "weekly",
        0,
        {},
        1,
    )
    assert list(schedule.recipients.all()) == [org.owner]


def test_a_relative_period_is_kept_as_such(client, org, schedule):
    spec = {**SPEC, "filter": {**SPEC["filter"], "items": [dict(SPEC["filter"]["items"][1])]}}
    spec["filter"]["items"][0].update(op="relative", value="this_year")
    SavedQuery.objects.filter(pk=schedule.saved_query_id).update(spec=spec)
    client.force_login(org.supervisor)
    response = client.post(_url(schedule), _post(schedule, p_made="last_30_days"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    schedule.refresh_from_db()
    assert schedule.params == {"made": "last_30_days"}
    bad = client.post(_url(schedule), _post(schedule, p_made="someday"))
    assert bad.status_code == 200 and 'data-testid="param-error-made"' in bad.content.decode()


def test_a_stale_edit_is_refused_then_saving_again_overwrites(client, org, schedule):
    client.force_login(org.supervisor)
    stale = _post(schedule, day_of_month="9")
    assert client.post(_url(schedule), _post(schedule, day_of_month="3")).status_code == 302
    response = client.post(_url(schedule), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Valaki módosította" in page
    assert 'name="version" value="2"' in page
    schedule.refresh_from_db()
    assert (schedule.day_of_month, schedule.version) == (3, 2)
    assert client.post(_url(schedule), {**stale, "version": 2}).status_code == 302
    schedule.refresh_from_db()
    assert (schedule.day_of_month, schedule.version) == (9, 3)


def test_edit_access(client, org, schedule):
    """Only its maker (and a superuser); the company's boss sees it but did not make it."""
    outcome = check_access(
        client,
        org,
        _url(schedule),
        allowed={"supervisor", "superuser"},
        denied_status=(404,),
    )
    assert outcome["boss"] == 404 and outcome["other_company_user"] == 404
    for persona in ("boss", "owner", "other_company_user"):
        client.force_login(org.users[persona])
        assert client.post(_url(schedule), _post(schedule)).status_code == 404
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.version) == ("weekly", 1)


def test_the_run_uses_the_schedules_values_with_each_recipients_rows(org, schedule, smtp_server):
    today = timezone.localdate()
    schedule.weekday = today.weekday()
    schedule.created_at = timezone.now() - datetime.timedelta(days=30)
    schedule.params = {"county": "PE", "made": ["2020. 01. 01.", "2099. 12. 31."]}
    schedule.save()
    schedule.recipients.set([org.owner, org.peer])
    assert reports_send_due() == 2
    while services.deliver():
        pass
    received = _attachments(smtp_server)
    # the query's own value (Csongrád) would give the peer's Szeged partner and the owner none
    assert [r[0] for r in received[org.owner.email][1:]] == ["Gödöllői Fa Bt.", "Pesti Gép Kft."]
    assert received[org.peer.email][1:] == []
