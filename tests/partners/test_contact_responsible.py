"""Contacts may have their own responsible user (the customer's brochure: responsible users for
partners and for contacts): optional, filterable, on the form and the page, and part of the
contact's visibility beside the partner's owners (``partners.models.scope_contacts``)."""

import random

import pytest
from django.urls import reverse

from crm.hierarchy import scope_owner_ids
from partners.models import Contact, Partner, small_scope_contact_page
from partners.search import search_contacts
from tests.access import check_access, member
from tests.factories import UserFactory

from .conftest import make_contact, make_partner
from .test_history import _history_text

# The personas who reach org.owner's records by the hierarchy (DESIGN.md section 4).
ABOVE_OWNER = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


@pytest.fixture
def stranger(org):
    """A rep of the same company outside the personas' hierarchy: owns the partner."""
    return member(
        UserFactory(username="stranger", last_name="Idegen", first_name="Ida"),
        org.company,
        "sales_rep",
    )


@pytest.fixture
def other_rep(org):
    """A rep of the other own company (sees by hierarchy only, not the whole master)."""
    return member(
        UserFactory(username="other_rep", last_name="Másik", first_name="Mór"),
        org.other_company,
        "sales_rep",
    )


def _names(client, **query) -> list[str]:
    rows = client.get(reverse("partners:contacts"), query).context["rows"]
    return sorted(c.family_name for c in rows)


def _searched(client, text: str) -> list[str]:
    response = client.get(reverse("search"), {"q": text}, HTTP_HX_REQUEST="true")
    return sorted(c.family_name for c in response.context["contacts"])


@pytest.mark.parametrize("owned_scope", [-1, 50_000])  # -1: never the owners' index
def test_a_contacts_responsible_user_and_their_supervisors_see_it_beside_the_partners_owners(
    client, org, stranger, other_rep, owned_scope, monkeypatch
):
    """The rep responsible for a contact of a partner they do not own sees that contact
    (page, list, search) but not the partner's other contacts, nor the partner; their
    supervisors see it too; a peer and a rep of the other company do not. Both ways of the
    search box (the owners' search index, the general query) agree."""
    import partners.models

    monkeypatch.setattr(partners.models, "OWNED_SEARCH_SCOPE", owned_scope)
    monkeypatch.setattr(partners.models, "_scope_sizes", {})
    partner = make_partner(stranger, name="Idegen Gépház Kft.")
    theirs = make_contact(partner, family_name="Felelősné", responsible=org.owner)
    other = make_contact(partner, family_name="Mellékes")
    check_access(
        client,
        org,
        reverse("partners:contact-detail", args=[theirs.pk]),
        allowed=ABOVE_OWNER | {"other_company_user"},  # who sees every partner sees it anyway
        denied_status=(403, 404),
    )
    check_access(
        client,
        org,
        reverse("partners:contact-detail", args=[other.pk]),
        allowed={"superuser", "other_company_user"},
        denied_status=(403, 404),
    )
    for persona in ("owner", "supervisor", "boss"):
        client.force_login(org.users[persona])
        assert _names(client) == ["Felelősné"], persona
        assert _searched(client, "felelos") == ["Felelősné"], persona
        assert _searched(client, "mellek") == [], persona
        page = client.get(reverse("partners:detail", args=[partner.pk]))
        assert page.status_code == 404, persona
        shown = client.get(reverse("partners:contact-detail", args=[theirs.pk])).content.decode()
        assert 'data-testid="partner-unlinked">Idegen Gépház Kft.<' in shown  # no link to a 404
    for user in (org.peer, other_rep):
        client.force_login(user)
        assert _names(client) == []
        assert _searched(client, "felelos") == []
        assert client.get(reverse("partners:contact-detail", args=[theirs.pk])).status_code == 404
    edit = reverse("partners:contact-edit", args=[theirs.pk])
    client.force_login(org.owner)  # the responsible user looks after the person: may edit
    assert client.get(edit).status_code == 200
    assert client.get(reverse("partners:contact-edit", args=[other.pk])).status_code == 404
    client.force_login(org.peer)
    assert client.get(edit).status_code == 404
    client.force_login(stranger)  # the partner's owner sees both, as before
    shown = client.get(reverse("partners:contact-detail", args=[theirs.pk])).content.decode()
    assert reverse("partners:detail", args=[partner.pk]) in shown
    assert _names(client) == ["Felelősné", "Mellékes"]


@pytest.mark.parametrize("small_scope", [True, False])
def test_every_persona_pages_exactly_the_contacts_of_partners_and_responsibilities(
    client, org, monkeypatch, small_scope
):
    """The small scope's page (``small_scope_contact_page``), the general query (a filter)
    and the search give what the rule says: the contacts of the partners one sees, and those
    whose responsible user is oneself or a subordinate; for a large scope (one probe per row)
    too."""
    import partners.models
    import partners.views as views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    monkeypatch.setattr(partners.models, "_scope_sizes", {})
    if not small_scope:
        monkeypatch.setattr(partners.models, "SMALL_SCOPE", 0)
        monkeypatch.setattr(partners.models, "OWNED_SEARCH_SCOPE", -1)
    rng = random.Random(22)
    people = [org.owner, org.peer, org.supervisor, org.second_supervisor, org.boss]
    outside = UserFactory(username="outside_owner")
    member(outside, org.company, "sales_rep")
    partners = [make_partner(rng.choice([*people, outside]), name=f"R{n} Kft.") for n in range(16)]
    for partner in partners:
        for _ in range(rng.randint(1, 3)):
            make_contact(
                partner,
                family_name=rng.choice(["Ács", "Öllös", "Oláh", "Csík", "Kovács"]),
                responsible=rng.choice([None, None, *people, outside]),
            )
    assert Contact.objects.exclude(responsible=None).exists()
    small = 0
    for persona in ("owner", "peer", "supervisor", "second_supervisor", "boss", "superuser"):
        user = org.users[persona]
        client.force_login(user)
        rule = Contact.objects.all()
        if not user.is_superuser:
            rule = rule.filter(
                pk__in=Contact.objects.filter(
                    partner__in=Partner.objects.all().by_rule(user, "view")
                ).values("pk")
            ) | rule.filter(responsible__in=scope_owner_ids(user))
        rule = rule.order_by("family_name", "given_name", "id")
        small += small_scope_contact_page(user, after=None, size=5) is not None
        expected = list(rule.values_list("pk", flat=True))
        assert _walk(client, {}) == expected, persona
        szeged = list(rule.filter(partner__city="Szeged").values_list("pk", flat=True))
        assert _walk(client, {"city": "Szeged"}) == szeged, persona
        assert (
            list(
                Contact.objects.visible_to(user)
                .order_by("family_name", "given_name", "id")
                .values_list("pk", flat=True)
            )
            == expected
        ), persona
        found = {c.pk for c in search_contacts(user, "kovacs", limit=100)}
        assert found == set(rule.filter(family_name="Kovács").values_list("pk", flat=True))
    assert small >= 4 if small_scope else small == 0


def _walk(client, params: dict) -> list[int]:
    seen, url, query = [], reverse("partners:contacts"), params
    for _ in range(50):
        page = client.get(url, query)
        assert page.status_code == 200
        seen += [row.pk for row in page.context["rows"]]
        if not page.context["next_url"]:
            return seen
        url, query = reverse("partners:contacts") + page.context["next_url"], None
    raise AssertionError("the list does not end")


def test_the_contact_list_filters_by_responsible_user(client, org):
    mine = make_partner(org.owner, name="Szűrő Kft.")
    make_contact(mine, family_name="Olgáé", responsible=org.owner)
    make_contact(mine, family_name="Péteré", responsible=org.peer)
    make_contact(mine, family_name="Senkié")
    client.force_login(org.owner)
    assert _names(client) == ["Olgáé", "Péteré", "Senkié"]
    assert _names(client, responsible=org.owner.pk) == ["Olgáé"]
    assert _names(client, responsible=org.peer.pk) == ["Péteré"]
    page = client.get(reverse("partners:contacts"), {"responsible": "x"})
    assert page.status_code == 200  # a bad value is reported and ignored, never a 500
    assert sorted(c.family_name for c in page.context["rows"]) == ["Olgáé", "Péteré", "Senkié"]
    assert page.context["form"].errors["responsible"]

    # the responsible user as a column of one's choice
    def table() -> str:
        page = client.get(reverse("partners:contacts")).content.decode()
        return page.split('data-testid="contacts"', 1)[1]

    assert "Társ Péter" not in table()
    client.post(reverse("partners:columns", args=["contacts"]), {"columns": ["responsible"]})
    assert ">Felelős felhasználó</th>" in table() and "Társ Péter" in table()


def test_the_contact_form_offers_only_colleagues_of_the_editors_company(client, org, other_rep):
    partner = make_partner(org.owner, name="Űrlap Kft.")
    contact = make_contact(partner, family_name="Szerkesztett")
    client.force_login(org.owner)
    url = reverse("partners:contact-edit", args=[contact.pk])
    form = client.get(url).context["form"]
    offered = {pk for pk, _label in form.fields["responsible"].choices if pk}
    colleagues = {org.users[p].pk for p in ("owner", "peer", "supervisor", "second_supervisor")}
    assert colleagues | {org.boss.pk} == {int(str(pk)) for pk in offered}
    assert other_rep.pk not in offered and org.deactivated.pk not in offered
    data = {
        "family_name": "Szerkesztett",
        "language": "hu",
        "responsible": other_rep.pk,
        "base_version": contact.version,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert (
        "A felelős felhasználó a saját cégének egy aktív munkatársa lehet."
        in response.content.decode()
    )
    contact.refresh_from_db()
    assert contact.responsible_id is None
    response = client.post(url, data | {"responsible": org.peer.pk})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.responsible == org.peer
    page = client.get(reverse("partners:contact-detail", args=[contact.pk])).content.decode()
    assert "Társ Péter" in page.split('data-testid="contact-responsible"', 1)[1][:200]


def test_a_responsible_user_from_elsewhere_is_kept_when_other_fields_change(client, org, other_rep):
    partner = make_partner(org.owner, name="Megtartó Kft.")
    contact = make_contact(partner, family_name="Régi", responsible=other_rep)
    client.force_login(org.owner)
    url = reverse("partners:contact-edit", args=[contact.pk])
    data = {
        "family_name": "Új",
        "language": "hu",
        "responsible": other_rep.pk,
        "base_version": contact.version,
    }
    assert client.post(url, data).status_code == 302
    contact.refresh_from_db()
    assert (contact.family_name, contact.responsible) == ("Új", other_rep)


def test_the_contact_history_names_the_responsible_user(client, org):
    partner = make_partner(org.owner, name="Történet Kft.")
    contact = make_contact(partner, family_name="Naplós")
    client.force_login(org.owner)
    url = reverse("partners:contact-edit", args=[contact.pk])
    data = {"family_name": "Naplós", "language": "hu", "base_version": contact.version}
    assert client.post(url, data | {"responsible": org.peer.pk}).status_code == 302
    contact.refresh_from_db()
    data["base_version"] = contact.version
    assert client.post(url, data | {"responsible": org.owner.pk}).status_code == 302
    history = _history_text(client.get(reverse("partners:contact-detail", args=[contact.pk])))
    assert "Felelős felhasználó: Társ Péter → Tulaj Olga" in history
    assert "Felelős felhasználó: – → Társ Péter" in history


def test_the_contact_list_costs_the_same_queries_with_responsible_users(client, org):
    """A constant number of queries: the responsible users' branch is part of the same
    statements, whether anybody has one or not, and the column's names come with the rows."""
    from .test_views import _count_queries

    partner = make_partner(org.owner, name="Számláló Kft.")
    make_contact(partner, family_name="Első", responsible=org.owner)
    stranger = UserFactory(username="far_owner")
    member(stranger, org.company, "sales_rep")
    far = make_partner(stranger, name="Távoli Kft.")
    make_contact(far, family_name="Távoli", responsible=org.owner)
    client.force_login(org.supervisor)
    url = reverse("partners:contacts")
    before = _count_queries(client, url)
    for n in range(30):
        make_contact(far, family_name=f"Távoli{n}", responsible=org.owner)
    assert _count_queries(client, url) == before
    page = client.get(url)
    assert len(page.context["rows"]) == 32
    html = page.content.decode()  # the partner one does not see is named, not linked
    assert reverse("partners:detail", args=[far.pk]) not in html and "Távoli Kft." in html
    assert reverse("partners:detail", args=[partner.pk]) in html
    assert _count_queries(client, url + "?q=tavoli") == _count_queries(client, url + "?q=elso")
