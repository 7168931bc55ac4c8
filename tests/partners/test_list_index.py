"""The partner list read from the visibility index in name order (``visibility_window``) must give
exactly what the access rule and the filters give, page after page; renames move partners."""

import random

from django.contrib.auth.models import Group
from django.urls import reverse

from crm.hierarchy import subordinate_ids
from crm.models import SupervisorLink
from crm.scoping import current_company_id
from partners.models import Partner, PartnerOwner, PartnerStatus, Status
from partners.views import _owner_choices

from .conftest import make_partner


def _walk(client, params: dict, list_name: str = "partners:list") -> list[int]:
    """The ids of every row of the list, following its "next" links; then, from the last
    page, its "previous" links must give the same pages back to the first (which has none)."""
    pages, url, query = [], reverse(list_name), params
    for _ in range(50):
        page = client.get(url, query)
        assert page.status_code == 200
        pages.append([row.pk for row in page.context["rows"]])
        assert bool(page.context["prev_url"]) == (len(pages) > 1)
        if not page.context["next_url"]:
            break
        url, query = reverse(list_name) + page.context["next_url"], None
    else:
        raise AssertionError("the list does not end")
    for earlier in reversed(pages[:-1]):
        page = client.get(reverse(list_name) + page.context["prev_url"])
        assert [row.pk for row in page.context["rows"]] == earlier
        assert page.context["next_url"]
    assert not page.context["prev_url"]
    return [pk for rows in pages for pk in rows]


def _expected(user, params: dict) -> list[int]:
    """The rule as a plain query: visible by the owner rows, then the filters."""
    company = current_company_id(user)
    rows = Partner.objects.all().by_rule(user, "view")
    owner = params.get("owner")
    if owner and owner in {u.pk for u in _owner_choices(user)}:
        people = [owner]
        if params.get("subtree"):
            people += subordinate_ids(type(user).objects.get(pk=owner))
        owned = PartnerOwner.objects.filter(company_id=company, user_id__in=people)
        rows = rows.filter(pk__in=owned.values("partner_id"))
    status = params.get("status")
    in_company = PartnerStatus.objects.filter(company_id=company)
    if status == Status.POTENTIAL:
        rows = rows.exclude(pk__in=in_company.values("partner_id"))
    elif status:
        rows = rows.filter(pk__in=in_company.filter(status=status).values("partner_id"))
    return list(rows.order_by("name", "id").values_list("pk", flat=True))


def test_every_persona_and_filter_pages_exactly_the_rule(client, org, settings):
    import partners.views as views

    settings.DEBUG = False
    rng = random.Random(11)
    people = [org.owner, org.peer, org.supervisor, org.second_supervisor, org.boss]
    partners = []
    for _ in range(130):
        # Hungarian order matters: Á/A, Ö/O and Cs/C sort differently than bytes do.
        prefix = rng.choice(["Á", "A", "Ö", "O", "Cs", "C", "Zs", "Z"])
        partners.append(make_partner(rng.choice(people), name=f"{prefix}{rng.randint(0, 40)} Kft."))
    for partner in partners[::4]:  # second owners: one row per partner all the same
        PartnerOwner.objects.get_or_create(
            partner=partner, company=org.company, user=rng.choice(people)
        )
    for partner in partners[::3]:
        PartnerStatus.objects.create(
            partner=partner, company=org.company, status=rng.choice([Status.ACTIVE, "inactive"])
        )
    # Renames move partners in the index too (the rename trigger, also for bulk updates).
    Partner.objects.filter(pk__in=[p.pk for p in partners[:10]]).update(name="Ödön Bt.")
    partners[10].name = "Aaa Kft."
    partners[10].save()
    assert views.PAGE_SIZE == 50  # 130 partners: three pages for those who see them all
    cases = [
        {},
        {"status": Status.ACTIVE},
        {"status": Status.POTENTIAL},
        {"owner": org.owner.pk},
        {"owner": org.supervisor.pk, "subtree": "on"},
        {"owner": org.supervisor.pk, "subtree": "on", "status": "inactive"},
    ]
    for persona in ("owner", "peer", "supervisor", "second_supervisor", "boss", "superuser"):
        user = org.users[persona]
        client.force_login(user)
        for params in cases:
            got = _walk(client, params)
            assert got == _expected(user, params), (persona, params)


def test_a_hierarchy_change_moves_the_sorted_entries_with_it(client, org):
    mine = make_partner(org.owner, name="Béka Kft.")
    client.force_login(org.boss)
    assert mine.pk in _walk(client, {})
    SupervisorLink.objects.filter(user=org.supervisor, supervisor=org.boss).delete()
    client.force_login(org.boss)
    assert mine.pk not in _walk(client, {})
    SupervisorLink.objects.create(user=org.supervisor, supervisor=org.boss)
    assert _walk(client, {}) == _expected(org.boss, {})
    assert mine.pk in _walk(client, {})


def test_a_permission_taken_away_applies_on_the_next_request(client, org):
    """The cached access profile is forgotten when a group loses a permission."""
    create = reverse("partners:create")
    client.force_login(org.owner)
    assert create in client.get(reverse("partners:list")).content.decode()
    group = org.owner.groups.get()
    group.permissions.remove(*group.permissions.filter(codename="add_partner"))
    assert create not in client.get(reverse("partners:list")).content.decode()
    assert client.get(create).status_code == 403
    group.permissions.add(
        *Group.permissions.field.related_model.objects.filter(codename="add_partner")
    )
    assert create in client.get(reverse("partners:list")).content.decode()


def test_every_persona_pages_exactly_the_contacts_of_the_rule(client, org, monkeypatch):
    """The contact list of a small scope is read from its partners' contacts
    (``small_scope_contact_page``): page after page, the same contacts as the access rule
    gives, in Hungarian name order; a filter takes the general query and agrees too."""
    import partners.views as views
    from partners.models import Contact, small_scope_contact_page

    from .conftest import make_contact

    monkeypatch.setattr(views, "PAGE_SIZE", 7)
    rng = random.Random(5)
    people = [org.owner, org.peer, org.supervisor, org.second_supervisor, org.boss]
    partners = [make_partner(rng.choice(people), name=f"P{n} Kft.") for n in range(25)]
    for partner in partners[::5]:  # a second owner: the contacts once all the same
        PartnerOwner.objects.get_or_create(
            partner=partner, company=org.company, user=rng.choice(people)
        )
    for partner in partners:
        for _ in range(rng.randint(0, 3)):
            family = rng.choice(["Ács", "Acél", "Öllös", "Oláh", "Csík", "Cirok", "Kovács"])
            make_contact(partner, family_name=family, given_name=rng.choice(["Anna", "Ádám"]))

    small = 0
    for persona in ("owner", "peer", "supervisor", "second_supervisor", "boss", "superuser"):
        user = org.users[persona]
        client.force_login(user)
        rule = Contact.objects.filter(
            partner__in=Partner.objects.all().by_rule(user, "view")
        ).order_by("family_name", "given_name", "id")
        small += small_scope_contact_page(user, after=None, size=7) is not None
        assert _walk(client, {}, "partners:contacts") == list(rule.values_list("pk", flat=True))
        in_szeged = rule.filter(partner__city="Szeged")
        szeged = _walk(client, {"city": "Szeged"}, "partners:contacts")
        assert szeged == list(in_szeged.values_list("pk", flat=True)), persona
    assert small >= 4  # the reps and supervisors: their scope is read from its contacts
