"""The activity screens as a new user meets them (issue 31): the list lands managers on their
team (item 18), an activity recorded after the fact is saved closed and the closing page
links its meetings (item 19), the form fits the type's kind (item 22)."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.discipline import must_close_first
from activities.models import Activity, ActivityType, Kind, Outcome, TaskName
from crm.groups import DEFAULT_GROUPS
from tests.partners.conftest import make_partner

pytestmark = pytest.mark.django_db

LIST = reverse("activities:mine")


def kind(code: str) -> ActivityType:
    return ActivityType.objects.get(code=code)


def plan(user, partner, code="call", *, starts_at=None, participants=(), **fields) -> Activity:
    activity = Activity(
        type=kind(code),
        partner=partner,
        subject=fields.pop("subject", f"{code} with {partner.name}"),
        starts_at=starts_at or timezone.now() + datetime.timedelta(days=1),
        **fields,
    )
    return services.activity_create(user=user, activity=activity, participants=participants)


def listed(client, user, url=LIST) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def form_fields(start: datetime.datetime, **fields) -> dict:
    return {"starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"), **fields}


# ------------------------------------------------------------------ item 18: the list


def test_a_manager_lands_on_the_activities_of_their_team_and_a_rep_on_their_own(client, org):
    plan(org.owner, make_partner(org.owner), subject="Olga hívása")
    peer_partner = make_partner(org.peer, name="Társ Kft.")
    # the owner takes part in the peer's meeting: she sees it, but it is not hers
    plan(org.peer, peer_partner, "meeting", subject="Péter tárgyalása", participants=[org.owner])
    page = listed(client, org.supervisor)  # no filter chosen: the team
    assert "Olga hívása" in page and "Péter tárgyalása" in page
    assert re.search(r'<option value="team" selected>', page)
    page = listed(client, org.owner)
    assert "Olga hívása" in page and "Péter tárgyalása" not in page
    assert 'value="team"' not in page  # a plain rep has no team to choose


def test_finance_and_marketing_land_on_everything_of_their_company(client, org):
    plan(org.owner, make_partner(org.owner), subject="Olga hívása")
    plan(org.peer, make_partner(org.peer, name="Társ Kft."), subject="Péter hívása")
    org.peer.groups.add(Group.objects.get(name=DEFAULT_GROUPS["finance"]))  # "see all"
    page = listed(client, org.peer)
    assert "Olga hívása" in page and "Péter hívása" in page


def test_the_handler_filter_offers_me_and_my_team_and_each_person_of_it(client, org):
    plan(org.owner, make_partner(org.owner), subject="Olga hívása")
    plan(org.supervisor, make_partner(org.supervisor, name="Fő Kft."), subject="Ferenc hívása")
    team = listed(client, org.supervisor, LIST + "?handler=team")
    assert "Olga hívása" in team and "Ferenc hívása" in team
    own = listed(client, org.supervisor, LIST + f"?handler={org.supervisor.pk}")
    assert "Olga hívása" not in own and "Ferenc hívása" in own
    olga = listed(client, org.supervisor, LIST + f"?handler={org.owner.pk}")
    assert "Olga hívása" in olga and "Ferenc hívása" not in olga
    # somebody outside one's team is not a choice: the default (the team) instead
    outside = listed(client, org.peer, LIST + f"?handler={org.supervisor.pk}")
    assert "Ferenc hívása" not in outside


def test_the_team_list_has_the_same_queries_for_1_and_60_rows_and_pages_by_keyset(client, org):
    team = (org.owner, org.peer, org.supervisor)
    partners = {u.pk: make_partner(u, name=f"{u.username} Kft.") for u in team}
    start = timezone.now() - datetime.timedelta(days=10)
    plan(org.owner, partners[org.owner.pk], starts_at=start, subject="hívás 0")

    def count(url=LIST):
        client.force_login(org.supervisor)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), response.content.decode()

    before, _page = count()
    for n in range(1, 60):
        user = team[n % 3]
        at = start + datetime.timedelta(hours=n)
        plan(user, partners[user.pk], starts_at=at, subject=f"hívás {n}")
    after, first = count()
    assert after == before
    shown = re.findall(r"hívás (\d+)<", first)
    assert len(shown) == 50 and shown[0] == "59"
    following = re.search(r'href="(\?[^"]*after=[^"]+)"', first).group(1).replace("&amp;", "&")
    queries, second = count(LIST + following)
    assert queries == before
    rest = re.findall(r"hívás (\d+)<", second)
    assert sorted(map(int, shown + rest)) == list(range(60))


# ------------------------------------------------- item 19: recorded after the fact, closing page

PAST_MEETING = re.compile(r"meeting in the past must be recorded with its result|múltbeli tárgyal")


def test_a_meeting_recorded_after_the_fact_is_saved_closed_and_never_blocks_its_handler(
    client, org
):
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    held = timezone.now() - datetime.timedelta(days=7)  # long past the two working days
    response = client.post(
        reverse("activities:create", args=[partner.pk]),
        {
            "type": kind("meeting").pk,
            "subject": "Bemutató, utólag rögzítve",
            **form_fields(held),
            "outcome": Outcome.SUCCESSFUL,
            "result_notes": "Kérnek ajánlatot.",
        },
    )
    meeting = Activity.objects.get(subject="Bemutató, utólag rögzítve")
    assert response.status_code == 302 and response["Location"].endswith(f"/{meeting.pk}/")
    assert meeting.is_closed and meeting.outcome == Outcome.SUCCESSFUL
    assert meeting.result_notes == "Kérnek ajánlatot." and meeting.closed_by == org.owner
    assert not must_close_first(org.owner)
    assert client.get(reverse("partners:list")).status_code == 200  # not sent to the closing page


def test_a_meeting_in_the_past_without_its_result_is_refused_and_nothing_is_saved(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    data = {
        "type": kind("meeting").pk,
        "subject": "Bemutató, eredmény nélkül",
        **form_fields(timezone.now() - datetime.timedelta(days=3)),
    }
    response = client.post(reverse("activities:create", args=[partner.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200 and PAST_MEETING.search(page)
    assert 'data-testid="result-part"' in page and 'data-testid="result-part" hidden' not in page
    assert 'value="Bemutató, eredmény nélkül"' in page  # what was typed is kept
    assert not Activity.objects.filter(subject="Bemutató, eredmény nélkül").exists()
    assert not must_close_first(org.owner)


def test_a_past_call_may_be_recorded_closed_and_a_future_meeting_ignores_a_result(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    url = reverse("activities:create", args=[partner.pk])
    past = form_fields(timezone.now() - datetime.timedelta(hours=3))
    client.post(url, {"type": kind("call").pk, "subject": "Hívás", **past, "outcome": "cancelled"})
    assert Activity.objects.get(subject="Hívás").outcome == Outcome.CANCELLED
    ahead = form_fields(timezone.now() + datetime.timedelta(days=2))
    client.post(
        url, {"type": kind("meeting").pk, "subject": "Jövő", **ahead, "outcome": "successful"}
    )
    assert not Activity.objects.get(subject="Jövő").is_closed


def overdue_meeting(user, subject="Elfelejtett tárgyalás") -> Activity:
    partner = make_partner(user, name=f"{subject} Kft.")
    return plan(
        user,
        partner,
        "meeting",
        subject=subject,
        starts_at=timezone.now() - datetime.timedelta(days=8),
    )


def test_the_closing_page_links_each_meeting_to_its_page_which_opens_while_blocked(client, org):
    meeting = overdue_meeting(org.owner)
    other = plan(org.owner, meeting.partner, "call", subject="Más hívás")
    peers = overdue_meeting(org.peer, "Péter tárgyalása")
    client.force_login(org.owner)
    assert must_close_first(org.owner)
    detail = reverse("activities:detail", args=[meeting.pk])
    page = client.get(reverse("activities:overdue")).content.decode()
    assert f'href="{detail}"' in page
    response = client.get(detail)
    assert response.status_code == 200 and "Elfelejtett tárgyalás" in response.content.decode()
    # its close form brings the handler back to the closing page
    assert 'name="next" value="overdue"' in response.content.decode()
    overdue = reverse("activities:overdue")
    for blocked in (other, peers):  # any other activity's page: still the closing page
        response = client.get(reverse("activities:detail", args=[blocked.pk]))
        assert response.status_code == 302 and response["Location"] == overdue


# ------------------------------------------------------------- item 22: the form fits the kind


def wrapper(page: str, field: str) -> str:
    """The opening tag of the form's wrapper around ``field``."""
    at = page.index(f'name="{field}"')
    return page[page.rindex("<div", 0, page.rindex("data-kinds", 0, at)) : at].split(">")[0]


def test_the_form_shows_only_the_fields_of_the_chosen_type_s_kind(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    url = reverse("activities:create", args=[partner.pk])
    meeting = client.get(url + f"?type={kind('meeting').pk}").content.decode()
    assert " hidden" in wrapper(meeting, "task_name") and " hidden" in wrapper(meeting, "deadline")
    assert " hidden" not in wrapper(meeting, "place")
    letter = client.get(url + f"?type={kind('letter').pk}").content.decode()
    for field in ("place", "ends_at", "participants", "task_name", "deadline"):
        assert " hidden" in wrapper(letter, field), field
    task = client.get(url + f"?type={kind('task').pk}").content.decode()
    assert " hidden" not in wrapper(task, "task_name") and " hidden" in wrapper(task, "place")
    # the browser's script learns each type's kind from the form
    assert f"&quot;{kind('email').pk}&quot;: &quot;email&quot;" in letter


def test_a_letter_keeps_no_place_and_a_meeting_no_task_name_or_deadline(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    url = reverse("activities:create", args=[partner.pk])
    ahead = form_fields(timezone.now() + datetime.timedelta(days=2))
    task_name = TaskName.objects.create(name_hu="Árlista küldése")
    client.post(
        url,
        {
            "type": kind("letter").pk,
            "subject": "Levél",
            "place": "Szeged",
            **ahead,
            "participants": [org.peer.pk],
            "ends_at": "nem dátum",
        },
    )
    letter = Activity.objects.get(subject="Levél")
    assert letter.place == "" and letter.ends_at is None and not letter.participants.exists()
    client.post(
        url,
        {
            "type": kind("meeting").pk,
            "subject": "Tárgyalás",
            **ahead,
            "task_name": task_name.pk,
            "deadline": "2020-01-01",
        },
    )
    meeting = Activity.objects.get(subject="Tárgyalás")
    assert meeting.task_name is None and meeting.deadline is None and meeting.ends_at


def test_the_page_of_an_email_or_letter_shows_no_place_or_waze(client, org):
    partner = make_partner(org.owner, city="Szeged", postcode="6720", street="Kárász u. 1.")
    email = plan(org.owner, partner, "email", subject="Ajánlat e-mailben")
    meeting = plan(org.owner, partner, "meeting", subject="Bemutató")
    client.force_login(org.owner)
    page = client.get(reverse("activities:detail", args=[email.pk])).content.decode()
    assert 'data-testid="waze"' not in page and "Kárász" not in page
    page = client.get(reverse("activities:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="waze"' in page and "Kárász" in page


def test_participants_are_ticked_in_a_box_with_a_filter_not_ctrl_clicked(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    url = reverse("activities:create", args=[partner.pk])
    page = client.get(url + f"?type={kind('meeting').pk}").content.decode()
    assert f'type="checkbox" name="participants" value="{org.peer.pk}"' in page
    assert "<select" not in wrapper(page, "participants") and "data-filter-checks" in page
    ahead = form_fields(timezone.now() + datetime.timedelta(days=2))
    client.post(
        url,
        {
            "type": kind("meeting").pk,
            "subject": "Közös",
            **ahead,
            "participants": [org.peer.pk, org.supervisor.pk],
        },
    )
    meeting = Activity.objects.get(subject="Közös")
    assert set(meeting.participants.all()) == {org.peer, org.supervisor}
    assert meeting.kind == Kind.MEETING
