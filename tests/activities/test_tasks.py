"""Tasks have a handler (whom the creator may give a task to: themselves, a subordinate at any
depth, or with the function any colleague of the company), who is told by mail; and internal
tasks, without a partner, appear in the lists, calendar, panels and reminders like the others."""

import datetime

import icalendar
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.assignment import ASSIGNED_TEMPLATE, assignable_users
from activities.models import Activity, ActivityType, CalendarFeed, Kind
from activities.reminders import reminders_email
from crm.groups import DEFAULT_GROUPS
from crm.messaging.models import Message
from crm.models import SupervisorLink
from tests.access import check_access, member
from tests.factories import UserFactory
from tests.partners.conftest import make_partner

from .test_activities import kind, plan
from .test_google import connect, google  # noqa: F401 - the fake Google fixture

pytestmark = pytest.mark.django_db

# Who sees a rep's internal task: as any activity of theirs, the rep and everybody above them.
SEES = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


def _when(days: int = 1, hour: int = 9) -> str:
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def _task_form(**fields) -> dict:
    return {"type": kind("task").pk, "starts_at": _when(), **fields}


def _assigned_mail(user) -> list[Message]:
    return list(
        Message.objects.filter(recipient=user.email, template__key=ASSIGNED_TEMPLATE).order_by("pk")
    )


def _options(page: str) -> set[str]:
    field = page.split('name="owner"', 1)[1].split("</select>", 1)[0]
    return {part.split('"', 1)[0] for part in field.split('value="')[1:]}


# ------------------------------------------------------------------------------- handler


def test_a_manager_gives_a_task_to_a_subordinate_who_sees_it_and_is_told_by_mail(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.supervisor)
    response = client.post(
        reverse("activities:create", args=[partner.pk]),
        _task_form(subject="Árlista küldése", owner=org.owner.pk, description="A 2027-es"),
    )
    task = Activity.objects.get(subject="Árlista küldése")
    assert response.status_code == 302
    assert task.owner == org.owner and task.created_by == org.supervisor
    [mail] = _assigned_mail(org.owner)
    assert "Árlista küldése" in mail.subject and partner.name in mail.body_text
    assert str(org.supervisor) in mail.body_text and f"/activities/{task.pk}/" in mail.body_text
    client.force_login(org.owner)
    assert "Árlista küldése" in client.get(reverse("activities:mine")).content.decode()
    page = client.get(reverse("activities:detail", args=[task.pk])).content.decode()
    assert 'data-testid="given-by"' in page and str(org.supervisor) in page
    # one's own task: nobody is told
    client.force_login(org.supervisor)
    client.post(
        reverse("activities:create", args=[partner.pk]), _task_form(subject="Saját feladat")
    )
    assert Activity.objects.get(subject="Saját feladat").owner == org.supervisor
    assert not _assigned_mail(org.supervisor)


def test_the_handler_is_told_again_when_the_task_is_given_to_them_again(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.supervisor)
    client.post(
        reverse("activities:create", args=[partner.pk]),
        _task_form(subject="Szerződés ellenőrzése", owner=org.owner.pk),
    )
    task = Activity.objects.get(subject="Szerződés ellenőrzése")

    def reassign(to):
        task.refresh_from_db()
        response = client.post(
            reverse("activities:edit", args=[task.pk]),
            _task_form(subject=task.subject, owner=to.pk, version=task.version),
        )
        assert response.status_code == 302, response.content.decode()[:2000]

    reassign(org.peer)
    task.refresh_from_db()
    assert task.owner == org.peer and len(_assigned_mail(org.peer)) == 1
    reassign(org.owner)
    assert len(_assigned_mail(org.owner)) == 2  # given, taken, given again: told twice
    # saving without changing the handler tells nobody
    reassign(org.owner)
    assert len(_assigned_mail(org.owner)) == 2
    # the handler, a rep, may not pass it on to their peer: refused, the typed text kept
    client.force_login(org.owner)
    task.refresh_from_db()
    response = client.post(
        reverse("activities:edit", args=[task.pk]),
        _task_form(
            subject="Szerződés ellenőrzése, 2. kör", owner=org.peer.pk, version=task.version
        ),
    )
    assert "Ennek a felhasználónak nem adhat feladatot." in response.content.decode()
    assert 'value="Szerződés ellenőrzése, 2. kör"' in response.content.decode()
    task.refresh_from_db()
    assert task.owner == org.owner and task.subject == "Szerződés ellenőrzése"


def test_the_handler_field_offers_exactly_the_users_the_creator_may_assign_to(client, org):
    # a rep with a team of their own: themselves and their subordinates at any depth
    junior = member(UserFactory(username="junior"), org.company, "sales_rep")
    trainee = member(UserFactory(username="trainee"), org.company, "sales_rep")
    SupervisorLink.objects.create(user=junior, supervisor=org.owner)
    SupervisorLink.objects.create(user=trainee, supervisor=junior)
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    page = client.get(reverse("activities:create", args=[partner.pk])).content.decode()
    assert _options(page) == {str(org.owner.pk), str(junior.pk), str(trainee.pk)}
    # a sales manager has the function: every active member of the company, nobody else
    client.force_login(org.supervisor)
    page = client.get(reverse("activities:create", args=[partner.pk])).content.decode()
    company = {
        org.owner,
        org.peer,
        org.supervisor,
        org.second_supervisor,
        org.boss,
        junior,
        trainee,
    }
    assert _options(page) == {str(u.pk) for u in company}
    # without the function, a manager's team only
    group = Group.objects.get(name=DEFAULT_GROUPS["sales_manager"])
    group.permissions.remove(
        group.permissions.get(codename="assign_to_colleagues", content_type__app_label="activities")
    )
    org.supervisor = type(org.supervisor).objects.get(pk=org.supervisor.pk)  # no perm cache
    client.force_login(org.supervisor)
    page = client.get(reverse("activities:create", args=[partner.pk])).content.decode()
    assert _options(page) == {
        str(u.pk) for u in (org.supervisor, org.owner, org.peer, junior, trainee)
    }
    assert set(assignable_users(org.supervisor, org.other_company.pk)) == set()


def test_a_task_for_a_user_one_may_not_assign_to_is_refused_and_nothing_typed_is_lost(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.owner)  # a rep: not their peer
    response = client.post(
        reverse("activities:create", args=[partner.pk]),
        _task_form(subject="Kérdőív kiküldése", owner=org.peer.pk, description="Sürgős, 3 db"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ennek a felhasználónak nem adhat feladatot." in page
    assert 'value="Kérdőív kiküldése"' in page and "Sürgős, 3 db" in page
    assert not Activity.objects.filter(subject="Kérdőív kiküldése").exists()
    # the service says the same to any other caller
    task = Activity(
        type=kind("task"), partner=partner, subject="Más", starts_at=timezone.now(), owner=org.peer
    )
    with pytest.raises(ValidationError) as refused:
        services.activity_create(user=org.owner, activity=task)
    assert "owner" in refused.value.message_dict
    # a user of the other company is refused even to one who may give tasks to colleagues
    client.force_login(org.supervisor)
    response = client.post(
        reverse("activities:create", args=[partner.pk]),
        _task_form(subject="Kérdőív kiküldése", owner=org.other_company_user.pk),
    )
    assert "Ennek a felhasználónak nem adhat feladatot." in response.content.decode()
    assert not Activity.objects.filter(subject="Kérdőív kiküldése").exists()


def test_only_a_task_is_given_to_another_handler_on_the_form(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.supervisor)
    response = client.post(
        reverse("activities:create", args=[partner.pk]),
        {"type": kind("call").pk, "subject": "Hívás", "starts_at": _when(), "owner": org.owner.pk},
    )
    assert "Csak feladatot lehet másnak kiadni." in response.content.decode()
    assert not Activity.objects.filter(subject="Hívás").exists()


def test_the_creator_keeps_seeing_a_task_given_to_a_colleague_and_outsiders_do_not(client, org):
    partner = make_partner(org.supervisor)
    client.force_login(org.supervisor)
    client.post(
        reverse("activities:create", args=[partner.pk]),
        _task_form(subject="Riport a vezetőségnek", owner=org.second_supervisor.pk),
    )
    task = Activity.objects.get(subject="Riport a vezetőségnek")
    assert task.owner == org.second_supervisor  # a colleague, not in the creator's team
    assert len(_assigned_mail(org.second_supervisor)) == 1
    given = client.get(reverse("activities:mine") + "?given=1").content.decode()
    assert "Riport a vezetőségnek" in given
    check_access(
        client,
        org,
        reverse("activities:detail", args=[task.pk]),
        allowed={"supervisor", "second_supervisor", "superuser"},
    )
    client.force_login(org.second_supervisor)
    assert "Riport a vezetőségnek" in client.get(reverse("activities:mine")).content.decode()
    client.force_login(org.peer)
    assert "Riport" not in client.get(reverse("activities:mine") + "?given=1").content.decode()


# -------------------------------------------------------------------------- internal tasks


def test_an_internal_task_appears_in_lists_calendar_panels_feed_and_reminders(client, org):
    client.force_login(org.owner)
    form = client.get(reverse("activities:create-task")).content.decode()
    assert 'data-testid="internal-task"' in form and 'name="contact"' not in form
    soon = timezone.localtime() + datetime.timedelta(minutes=5)
    response = client.post(
        reverse("activities:create-task"),
        _task_form(
            subject="Havi riport megírása",
            starts_at=soon.strftime("%Y-%m-%dT%H:%M"),
            reminder_minutes=10,
        ),
    )
    task = Activity.objects.get(subject="Havi riport megírása")
    assert response.status_code == 302
    assert task.partner is None and task.kind == Kind.TASK and task.owner == org.owner
    listed = client.get(reverse("activities:mine")).content.decode()
    assert "Havi riport megírása" in listed and "Belső" in listed
    day = timezone.localdate(task.starts_at).isoformat()
    for view in ("month", "week", "day"):
        url = reverse("activities:calendar") + f"?view={view}&date={day}"
        assert "Havi riport megírása" in client.get(url).content.decode()
    assert "Havi riport megírása" in client.get(reverse("home")).content.decode()
    assert "Havi riport megírása" in client.get(reverse("activities:reminders")).content.decode()
    detail = client.get(reverse("activities:detail", args=[task.pk]))
    assert detail.status_code == 200 and "Belső feladat" in detail.content.decode()
    assert reminders_email() == 1
    mail = Message.objects.get(template__key="activities-reminder")
    assert "Havi riport megírása" in mail.subject
    assert "Partner:" not in mail.body_text and "Partner:" not in mail.body_html
    client.get(reverse("activities:feed"))
    client.logout()
    token = CalendarFeed.objects.get(user=org.owner).token
    feed = icalendar.Calendar.from_ical(client.get(reverse("activities:ics", args=[token])).content)
    assert [str(e["summary"]) for e in feed.walk("VEVENT")] == ["Havi riport megírása"]
    # a manager sees the subordinate's internal task, the peer does not
    check_access(client, org, reverse("activities:detail", args=[task.pk]), allowed=SEES)


def test_an_internal_task_without_a_title_gets_a_clear_message_and_nothing_is_lost(client, org):
    client.force_login(org.owner)
    response = client.post(
        reverse("activities:create-task"),
        _task_form(subject="", description="A negyedéves számok, táblázatban"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Adjon címet a belső feladatnak: mit kell elvégezni." in page
    assert "A negyedéves számok, táblázatban" in page
    assert not Activity.objects.exists()


def test_the_internal_task_page_offers_task_types_only_and_refuses_users_without_the_function(
    client, org
):
    client.force_login(org.owner)
    page = client.get(reverse("activities:create-task")).content.decode()
    field = page.split('name="type"', 1)[1].split("</select>", 1)[0]
    tasks = ActivityType.objects.filter(kind=Kind.TASK, active=True)
    assert {part.split('"', 1)[0] for part in field.split('value="')[1:]} == {
        str(t.pk) for t in tasks
    }
    # a call without a partner: refused by the form (not offered) and by the database
    response = client.post(
        reverse("activities:create-task"),
        {"type": kind("call").pk, "subject": "Hívás", "starts_at": _when()},
    )
    assert response.status_code == 200 and not Activity.objects.exists()
    for persona in ("outsider", "other_company_user"):
        client.force_login(getattr(org, persona))
        allowed = persona == "other_company_user"  # a manager of the other company: theirs
        assert client.get(reverse("activities:create-task")).status_code == (
            200 if allowed else 403
        )


def test_only_a_task_may_be_without_a_partner(org):
    call = Activity(type=kind("call"), subject="Hívás", starts_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        services.activity_create(user=org.owner, activity=call)
    assert "partner" in refused.value.message_dict
    task = services.activity_create(
        user=org.owner,
        activity=Activity(type=kind("task"), subject="Belső", starts_at=timezone.now()),
    )
    assert task.partner_id is None
    made = plan(org.owner, make_partner(org.owner), "call")
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=made.pk).update(partner=None)


def test_lists_issue_the_same_queries_for_1_and_30_internal_tasks(client, org):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    calendar = reverse("activities:calendar") + f"?handler={org.owner.pk}&date={tomorrow}"
    pages = [
        (org.supervisor, reverse("activities:mine") + f"?handler={org.owner.pk}"),
        (org.supervisor, calendar + "&view=month"),
        (org.supervisor, calendar + "&view=day"),
        (org.owner, reverse("home")),
        (org.supervisor, reverse("activities:mine") + "?given=1"),
    ]

    def make_tasks(n):
        for i in range(n):
            services.activity_create(  # given by the manager to the rep
                user=org.supervisor,
                activity=Activity(
                    type=kind("task"),
                    subject=f"Belső {i}",
                    starts_at=timezone.now() + datetime.timedelta(days=1),
                    owner=org.owner,
                ),
            )

    def count(user, url):
        client.force_login(user)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode().count("Belső ")

    make_tasks(1)
    before = [count(user, url) for user, url in pages]
    make_tasks(29)
    after = [count(user, url) for user, url in pages]
    assert [q for q, _ in after] == [q for q, _ in before]
    assert all(a[1] > b[1] for a, b in zip(after, before, strict=True))


def test_the_reminder_mail_seeded_before_internal_tasks_is_mended_unless_rewritten(org):
    from django.apps import apps

    from activities.defaults import PARTNER_LINE, PARTNER_LINE_BEFORE, mend_reminder_templates
    from crm.messaging.models import MessageTemplate

    seeded = MessageTemplate.objects.get(key="activities-reminder", language="hu")
    rewritten = MessageTemplate.objects.get(key="activities-reminder", language="en")
    seeded.body_text = seeded.body_text.replace(PARTNER_LINE, PARTNER_LINE_BEFORE)
    seeded.save()
    rewritten.body_text = "Partner: {{ activity.partner.name }} (ours)"
    rewritten.save()
    mend_reminder_templates(apps)
    seeded.refresh_from_db()
    rewritten.refresh_from_db()
    assert PARTNER_LINE in seeded.body_text
    assert rewritten.body_text == "Partner: {{ activity.partner.name }} (ours)"


def test_a_task_given_to_another_handler_leaves_the_previous_handlers_google_calendar(
    org,
    google,  # noqa: F811 - the fixture
    eager,
    django_capture_on_commit_callbacks,
):
    connect(org.owner)
    connect(org.peer)
    partner = make_partner(org.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        task = services.activity_create(
            user=org.supervisor,
            activity=Activity(
                type=kind("task"),
                partner=partner,
                subject="Minta kiküldése",
                starts_at=timezone.now() + datetime.timedelta(days=1),
                owner=org.owner,
            ),
        )
    assert [e["summary"] for e in google.events.values()] == [f"Minta kiküldése – {partner.name}"]
    (first,) = google.events
    task.owner = org.peer
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_update(user=org.supervisor, activity=task, expected_version=task.version)
    (delete,) = google.calls("DELETE")
    assert delete.path.endswith(f"/events/{first}")
    assert list(google.events) != [first] and len(google.events) == 1  # the peer's new one
    task.refresh_from_db()
    assert task.google_event_id in google.events
