"""Activities: plan, follow up, close, the timeline, who sees what, and bad input."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, ActivityType, Kind, Outcome, State
from tests.access import check_access
from tests.partners.conftest import make_contact, make_partner

pytestmark = pytest.mark.django_db

# Who sees a rep's activity: the rep, everybody above them, and the superuser. Not the peer,
# not the other company's user (activities belong to one own company), not the outsider.
SEES = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


def kind(code: str) -> ActivityType:
    return ActivityType.objects.get(code=code)


def plan(user, partner, code="call", *, starts_at=None, **fields) -> Activity:
    activity = Activity(
        type=kind(code),
        partner=partner,
        subject=fields.pop("subject", f"{code} with {partner.name}"),
        starts_at=starts_at or timezone.now() + datetime.timedelta(days=1),
        **fields,
    )
    return services.activity_create(user=user, activity=activity)


def close(activity: Activity, outcome: str = Outcome.SUCCESSFUL) -> Activity:
    """Closes through the service, as its handler, from the version in hand."""
    return services.activity_close(
        user=activity.owner,
        activity=activity,
        outcome=outcome,
        result_notes="",
        expected_version=activity.version,
    )


def local(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_activity_detail_persona_matrix(client, org):
    activity = plan(org.owner, make_partner(org.owner))
    check_access(client, org, reverse("activities:detail", args=[activity.pk]), allowed=SEES)


def test_plan_from_partner_page_then_close_with_outcome(client, org):
    partner = make_partner(org.owner)
    contact = make_contact(partner)
    client.force_login(org.owner)
    form = client.get(reverse("activities:create-for-contact", args=[contact.pk]), follow=True)
    assert form.status_code == 200
    assert f'value="{contact.pk}" selected' in form.content.decode()
    start = timezone.localtime() + datetime.timedelta(days=2)
    response = client.post(
        reverse("activities:create", args=[partner.pk]),
        {
            "type": kind("meeting").pk,
            "subject": "Bemutató",
            "contact": contact.pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "place": "Szeged, Kárász u. 1.",
        },
    )
    activity = Activity.objects.get(subject="Bemutató")
    assert response.status_code == 302 and response["Location"].endswith(f"/{activity.pk}/")
    assert activity.owner == org.owner and activity.company == org.company
    assert activity.kind == Kind.MEETING and activity.ends_at == activity.starts_at + (
        datetime.timedelta(hours=1)
    )
    assert activity.reminder_minutes == 30  # the type's default
    # closing without an outcome is refused with a message; nothing changes
    page = client.post(
        reverse("activities:close", args=[activity.pk]),
        {"result_notes": "Jó volt", "version": activity.version},
        follow=True,
    )
    assert "Válassza ki az eredményt" in page.content.decode()
    activity.refresh_from_db()
    assert activity.closed_at is None
    client.post(
        reverse("activities:close", args=[activity.pk]),
        {"outcome": Outcome.SUCCESSFUL, "result_notes": "Rendelnek", "version": activity.version},
    )
    activity.refresh_from_db()
    assert activity.closed_at and activity.outcome == Outcome.SUCCESSFUL
    assert activity.closed_by == org.owner and activity.state == State.DONE


def test_end_before_start_is_refused_and_nothing_saved(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    start = timezone.localtime() + datetime.timedelta(days=1)
    response = client.post(
        reverse("activities:create", args=[partner.pk]),
        {
            "type": kind("meeting").pk,
            "subject": "Fordított",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200
    assert not Activity.objects.exists()
    # the typed subject is kept in the form
    assert 'value="Fordított"' in response.content.decode()


def test_a_partner_the_user_does_not_see_gets_404(client, org):
    partner = make_partner(org.peer)
    client.force_login(org.owner)
    assert client.get(reverse("activities:create", args=[partner.pk])).status_code == 404


def test_follow_up_offers_only_allowed_types_and_refuses_others(client, org):
    partner = make_partner(org.owner)
    letter = plan(org.owner, partner, "letter", subject="Ajánlat levélben")
    client.force_login(org.owner)
    page = client.get(reverse("activities:detail", args=[letter.pk])).content.decode()
    for allowed in ("call", "letter", "reminder"):
        assert reverse("activities:follow-up", args=[letter.pk, kind(allowed).pk]) in page
    meeting_url = reverse("activities:follow-up", args=[letter.pk, kind("meeting").pk])
    assert meeting_url not in page
    refused = client.get(meeting_url, follow=True)
    assert refused.redirect_chain[-1][0].endswith(f"/{letter.pk}/")
    form = client.get(reverse("activities:follow-up", args=[letter.pk, kind("call").pk]))
    assert 'value="Ajánlat levélben"' in form.content.decode()  # pre-filled
    # a forged POST of a type that may not follow is refused by the service too
    follow = Activity(type=kind("meeting"), partner=partner, subject="x", starts_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        services.activity_create(user=org.owner, activity=follow, follows=letter)
    assert "type" in refused.value.message_dict
    assert Activity.objects.count() == 1


def test_closed_activity_is_read_only_except_for_those_allowed(client, org):
    activity = plan(org.owner, make_partner(org.owner))
    close(activity, Outcome.UNSUCCESSFUL)
    client.force_login(org.owner)
    assert client.get(reverse("activities:edit", args=[activity.pk])).status_code == 403
    client.force_login(org.supervisor)  # sales managers may change closed activities
    assert client.get(reverse("activities:edit", args=[activity.pk])).status_code == 200


def test_collection_types_only_for_those_with_the_function(client, org):
    partner = make_partner(org.owner)
    collection = kind("collection-call")
    assert collection not in ActivityType.objects.usable_by(org.owner)
    with pytest.raises(ValidationError) as refused:
        plan(org.owner, partner, "collection-call")
    assert "type" in refused.value.message_dict
    org.owner.user_permissions.add(collection.function)
    owner = type(org.owner).objects.get(pk=org.owner.pk)
    secret = plan(owner, partner, "collection-call", subject="Tartozás")
    # the supervisor sees the rep's activities, but not those of a type they may not use
    assert not Activity.objects.visible_to(org.supervisor).filter(pk=secret.pk).exists()
    assert Activity.objects.visible_to(owner).filter(pk=secret.pk).exists()


def test_timeline_on_partner_and_contact_pages_is_scoped_and_filtered(client, org):
    partner = make_partner(org.owner)
    contact = make_contact(partner)
    mine = plan(org.owner, partner, "call", subject="Hívás <b>Annával</b>", contact=contact)
    plan(org.owner, partner, "meeting", subject="Tárgyalás")
    closed = plan(org.owner, partner, "task", subject="Kész feladat", task_name=None)
    close(closed)
    client.force_login(org.supervisor)
    url = reverse("partners:detail", args=[partner.pk])
    page = client.get(url + "?tab=timeline").content.decode()
    assert "Tárgyalás" in page and "Kész feladat" in page
    assert "Hívás &lt;b&gt;Annával&lt;/b&gt;" in page  # HTML in a subject is text
    done = client.get(url + f"?tab=timeline&state={State.DONE}").content.decode()
    assert "Kész feladat" in done and "Tárgyalás" not in done
    by_type = client.get(url + f"?tab=timeline&type={kind('meeting').pk}").content.decode()
    assert "Tárgyalás" in by_type and "Kész feladat" not in by_type
    contact_page = client.get(reverse("partners:contact-detail", args=[contact.pk])).content
    assert reverse("activities:detail", args=[mine.pk]) in contact_page.decode()
    assert "Tárgyalás" not in contact_page.decode()  # not with this contact
    # the other company's "see all" user sees the partner, not this company's activities
    client.force_login(org.other_company_user)
    other = client.get(url + "?tab=timeline").content.decode()
    assert 'data-testid="timeline-empty"' in other


def test_the_timeline_filter_offers_special_types_only_to_those_with_the_function(client, org):
    """A rep without the collection function is not offered collection calls in the partner's
    timeline filter (found offered by a user audit); given the function, they are, and
    taken away again, they are not."""
    partner = make_partner(org.owner)
    collection = kind("collection-call")
    url = reverse("partners:detail", args=[partner.pk]) + "?tab=timeline"
    option = f'<option value="{collection.pk}"'
    meeting = f'<option value="{kind("meeting").pk}"'
    client.force_login(org.owner)
    page = client.get(url).content.decode()
    assert meeting in page and option not in page
    org.owner.user_permissions.add(collection.function)
    client.force_login(org.owner)
    assert option in client.get(url).content.decode()
    org.owner.user_permissions.remove(collection.function)
    client.force_login(org.owner)
    assert option not in client.get(url).content.decode()


def test_the_timeline_filter_follows_the_activity_types(client, org):
    """The filter's fields are shared by the worker's requests (crm.forms.SharedFieldsForm):
    a type an admin adds or switches off shows in the next request's options, and choosing
    one still filters."""
    partner = make_partner(org.owner)
    plan(org.owner, partner, "meeting", subject="Tárgyalás")
    client.force_login(org.owner)
    url = reverse("partners:detail", args=[partner.pk]) + "?tab=timeline"
    assert "Bemutató <b>" not in client.get(url).content.decode()
    demo = ActivityType.objects.create(code="demo", name_hu="Bemutató <b>", kind=Kind.MEETING)
    page = client.get(url).content.decode()
    assert f'<option value="{demo.pk}">Bemutató &lt;b&gt;</option>' in page
    chosen = client.get(url + f"&type={demo.pk}").content.decode()
    assert f'<option value="{demo.pk}" selected>' in chosen and "Tárgyalás" not in chosen
    ActivityType.objects.filter(pk=demo.pk).update(active=False)  # bypasses the signals …
    from activities.reference import activity_types

    activity_types.forget()  # … so the writer says so, as crm.reference asks
    assert f'value="{demo.pk}"' not in client.get(url).content.decode()


def test_pages_issue_the_same_queries_for_1_and_30_activities(client, org):
    partner = make_partner(org.owner)
    plan(org.owner, partner)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    calendar = reverse("activities:calendar") + f"?handler={org.owner.pk}&date={tomorrow}"
    pages = [
        (org.supervisor, reverse("partners:detail", args=[partner.pk]) + "?tab=timeline"),
        (org.supervisor, reverse("activities:mine") + f"?handler={org.owner.pk}"),
        (org.supervisor, calendar + "&view=month"),
        (org.supervisor, calendar + "&view=week"),
        (org.supervisor, calendar + "&view=day"),
        (org.owner, reverse("home")),  # the panels list the owner's own activities
    ]

    def count(user, url):
        client.force_login(user)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode().count("/activities/")

    before = [count(user, url) for user, url in pages]
    contact = make_contact(partner)
    for n in range(29):
        plan(org.owner, partner, ("call", "meeting", "task")[n % 3], contact=contact)
    after = [count(user, url) for user, url in pages]
    assert [queries for queries, _links in after] == [queries for queries, _links in before]
    # and the pages did show the new rows (else the count would prove nothing)
    assert all(a[1] > b[1] for a, b in zip(after, before, strict=True))


def test_managers_see_their_subordinates_tasks_and_reps_only_their_own(client, org):
    partner = make_partner(org.owner)
    plan(org.owner, partner, "task", subject="Árlista küldése")
    client.force_login(org.supervisor)
    page = client.get(reverse("activities:mine") + f"?handler={org.owner.pk}&kind=task")
    assert "Árlista küldése" in page.content.decode()
    client.force_login(org.peer)  # a handler outside one's team is ignored: one's own list
    page = client.get(reverse("activities:mine") + f"?handler={org.owner.pk}")
    assert "Árlista küldése" not in page.content.decode()


def test_task_state_is_computed(org):
    partner = make_partner(org.owner)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    late = plan(
        org.owner,
        partner,
        "task",
        starts_at=local(yesterday - datetime.timedelta(days=3), 9),
        deadline=yesterday,
    )
    ahead = plan(org.owner, partner, "task")
    assert late.state == State.OVERDUE and ahead.state == State.OPEN
    assert str(ahead.state_label) in ("In progress", "Folyamatban")
    mine = Activity.objects.filter(owner=org.owner)
    assert list(mine.in_state(State.OVERDUE)) == [late]
    assert list(mine.in_state(State.OPEN)) == [ahead]


def test_home_page_lists_partners_without_a_next_event(client, org):
    planned = make_partner(org.owner, name="Tervezett Kft.")
    idle = make_partner(org.owner, name="Elfelejtett <i>Kft.</i>")
    plan(org.owner, planned, "call")
    plan(org.owner, idle, "call", starts_at=timezone.now() - datetime.timedelta(days=3))
    client.force_login(org.owner)
    page = client.get(reverse("home")).content.decode()
    panel = page.split('data-testid="no-next-event"', 1)[1].split("</ul>", 1)[0]
    assert "Elfelejtett &lt;i&gt;Kft.&lt;/i&gt;" in panel and "Tervezett" not in panel
    # a manager's list holds the partners they own, not their team's (another query)
    make_partner(org.supervisor, name="Vezetői Kft.")
    client.force_login(org.supervisor)
    page = client.get(reverse("home")).content.decode()
    panel = page.split('data-testid="no-next-event"', 1)[1].split("</ul>", 1)[0]
    assert "Vezetői Kft." in panel and "Elfelejtett" not in panel
