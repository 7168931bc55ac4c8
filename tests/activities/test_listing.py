"""The prepared statements of the timeline and the home page (activities.listing) give what the
ORM queries over ``visible_to`` give, for every persona, page after page."""

import datetime

from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from activities import listing
from activities.models import Activity, ActivityType, Kind
from tests.activities.test_activities import close, kind, plan
from tests.partners.conftest import make_contact, make_partner


def _walk(user, size: int, **record) -> list[int] | None:
    """Every page of the statement's timeline, by following its cursors."""
    ids, after = [], ""
    for _page in range(50):
        page = listing.timeline_page(user, after=after, size=size, **record)
        if page is None:
            return None
        rows, after = page
        ids += [a.pk for a in rows]
        assert len(rows) <= size
        if not after:
            return ids
    raise AssertionError("the cursors never ended")


def test_timeline_statement_agrees_with_visible_to_for_every_persona(org):
    partner = make_partner(org.owner)
    contact = make_contact(partner)
    at = timezone.now().replace(microsecond=0)
    # same start times (the id breaks the tie), the team's, a closed one, one with a contact,
    # a special type the supervisor may not see, and the other company's
    made = [plan(org.owner, partner, "call", starts_at=at) for _ in range(3)]
    made.append(
        plan(
            org.supervisor,
            partner,
            "meeting",
            owner=org.peer,
            starts_at=at - datetime.timedelta(days=1),
        )
    )
    made.append(plan(org.owner, partner, "task", starts_at=at + datetime.timedelta(days=2)))
    close(made[-1])
    made.append(plan(org.owner, partner, "call", contact=contact, starts_at=at))
    collection = kind("collection-call")
    org.owner.user_permissions.add(collection.function)
    owner = type(org.owner).objects.get(pk=org.owner.pk)
    made.append(plan(owner, partner, "collection-call", starts_at=at))
    Activity.objects.create(
        company=org.other_company,
        owner=org.other_company_user,
        type=kind("call"),
        partner=partner,
        subject="Másik cég",
        starts_at=at,
    )
    # one activity shared with one user (an object grant): only visible_to can answer them
    assign_perm("activities.view_activity", org.peer, made[0])
    answered, by_rule = 0, 0
    for user in org.users.values():
        user = type(user).objects.get(pk=user.pk)
        for record, where in (({"partner_id": partner.pk}, {"partner": partner}),):
            expected = list(
                Activity.objects.visible_to(user)
                .filter(**where)
                .order_by("-starts_at", "-id")
                .values_list("pk", flat=True)
            )
            for size in (2, 30):
                walked = _walk(user, size, **record)
                if walked is None:  # records shared one by one
                    assert user.username == "peer"
                    by_rule += 1
                    continue
                answered += 1
                assert walked == expected, (user.username, size)
        on_contact = _walk(user, 30, contact_id=contact.pk)
        if on_contact is not None:
            assert on_contact == list(
                Activity.objects.visible_to(user)
                .filter(contact=contact)
                .order_by("-starts_at", "-id")
                .values_list("pk", flat=True)
            )
    assert answered >= 10 and by_rule == 2


def test_the_timeline_of_a_user_with_a_shared_activity_takes_the_orm_query(client, org):
    partner = make_partner(org.owner)
    shared = plan(org.owner, partner, subject="Megosztott hívás")
    plan(org.owner, partner, subject="Titkos hívás")
    assign_perm("partners.view_partner", org.peer, partner)
    assign_perm("activities.view_activity", org.peer, shared)
    client.force_login(org.peer)
    page = client.get(reverse("partners:detail", args=[partner.pk]) + "?tab=timeline")
    html = page.content.decode()
    assert "Megosztott hívás" in html and "Titkos hívás" not in html


def test_timeline_rows_carry_what_the_table_shows(client, org):
    partner = make_partner(org.owner, name="Rövid <b>Kft.</b>")
    contact = make_contact(partner, family_name="Nagy", given_name="Ádám", title="dr.")
    plan(org.owner, partner, "meeting", contact=contact, subject="Bemutató <script>")
    rows, cursor = listing.timeline_page(org.supervisor, partner_id=partner.pk)
    assert cursor is None
    (row,) = rows
    assert (row.type.code, row.partner.name, row.contact.full_name, str(row.owner)) == (
        "meeting",
        "Rövid <b>Kft.</b>",
        "dr. Nagy Ádám",
        str(org.owner),
    )
    client.force_login(org.supervisor)
    page = client.get(reverse("partners:detail", args=[partner.pk]) + "?tab=timeline")
    html = page.content.decode()
    assert "Bemutató &lt;script&gt;" in html and "dr. Nagy Ádám" in html
    assert str(org.owner) in html


def test_a_tampered_cursor_reads_the_first_page(org):
    partner = make_partner(org.owner)
    first = plan(org.owner, partner)
    rows, _cursor = listing.timeline_page(org.owner, partner_id=partner.pk, after="bogus:x")
    assert [a.pk for a in rows] == [first.pk]


def test_home_panels_agree_with_visible_to_for_every_persona(client, org):
    partner = make_partner(org.owner)
    today = timezone.localdate()
    now = timezone.now()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    # earlier today, so in today's panel and not among the upcoming ones (an hour after
    # midnight was still to come between midnight and one o'clock, and the page showed it twice)
    earlier_today = start + (now - start) / 2
    for user in (org.owner, org.supervisor):
        plan(user, partner, "call", starts_at=earlier_today)
        plan(user, partner, "meeting", starts_at=now + datetime.timedelta(days=3))
        plan(
            user,
            partner,
            "task",
            starts_at=now - datetime.timedelta(days=5),
            deadline=today - datetime.timedelta(days=2),
        )
        done = plan(user, partner, "call", starts_at=now + datetime.timedelta(days=1))
        close(done)
    for user in org.users.values():
        user = type(user).objects.get(pk=user.pk)
        mine = Activity.objects.visible_to(user).filter(owner=user)
        expected = {
            1: mine.filter(
                starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1)
            ).order_by("starts_at", "pk"),
            2: mine.filter(kind=Kind.TASK, closed_at__isnull=True, deadline__lt=today).order_by(
                "deadline", "pk"
            ),
            3: mine.open().filter(starts_at__gte=timezone.now()).order_by("starts_at", "pk"),
        }
        found = listing.own_panels(user, limit=11)
        assert {k: [a.pk for a in v] for k, v in found.items()} == {
            k: list(q.values_list("pk", flat=True)[:11]) for k, q in expected.items()
        }, user.username
    client.force_login(org.owner)
    page = client.get(reverse("home")).content.decode()
    assert page.count("call with Alföld-Gépészeti Kft.") == 1  # today's, not the closed one
    assert "task with Alföld-Gépészeti Kft." in page
    # with an activity shared one by one, only the ORM's queries can tell: they answer
    own = plan(org.supervisor, partner, "call", owner=org.peer, subject="A társ hívása")
    assign_perm("activities.view_activity", org.peer, done)
    peer = type(org.peer).objects.get(pk=org.peer.pk)
    assert listing.own_panels(peer, limit=11) is None
    client.force_login(peer)
    page = client.get(reverse("home")).content.decode()
    assert own.subject in page


def test_a_type_missing_from_the_worker_s_list_is_read_from_the_database(client, org):
    from activities.reference import activity_types

    partner = make_partner(org.owner)
    assert activity_types()  # this worker's list, before the new type
    call = kind("call")
    # Written without signals, as by another process: the cached list does not know it.
    (visit,) = ActivityType.objects.bulk_create(
        [ActivityType(code="visit", name_hu="Látogatás", name_en="Visit", kind=call.kind)]
    )
    activity = plan(org.owner, partner, "visit", subject="Bemutató látogatás")
    assert visit.pk not in {t.pk for t in activity_types()}
    rows, _cursor = listing.timeline_page(org.owner, partner_id=partner.pk)
    assert [(a.pk, a.type.name) for a in rows] == [(activity.pk, "Látogatás")]
    client.force_login(org.owner)
    page = client.get(reverse("partners:detail", args=[partner.pk]) + "?tab=timeline")
    assert page.status_code == 200 and "Bemutató látogatás" in page.content.decode()
