"""Partner and contact screens: who sees what, constant queries, bad input."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from crm.models import Visibility
from crm.scoping import current_company_id, table_id
from partners.models import Contact, ContactType, Partner, PartnerOwner
from partners.services import partner_assign
from tests.access import check_access

from .conftest import TAX_NUMBERS, make_contact, make_partner, make_segment_attribute

pytestmark = pytest.mark.django_db

# Who may see a rep's partner: the rep, everybody above them, "see all" users (the other
# company's user has the finance group's "see all in company", and the partner master is shared
# by all own companies) and the superuser. Not the peer, not the outsider.
SEES = {"owner", "supervisor", "second_supervisor", "boss", "other_company_user", "superuser"}


def test_partner_detail_persona_matrix(client, org):
    partner = make_partner(org.owner)
    check_access(client, org, reverse("partners:detail", args=[partner.pk]), allowed=SEES)


def test_partner_edit_persona_matrix_and_refused_writes_change_nothing(client, org):
    partner = make_partner(org.owner)
    url = reverse("partners:edit", args=[partner.pk])
    data = {"name": "Átírt Kft.", "base_version": partner.version}
    check_access(
        client,
        org,
        url,
        method="post",
        data=data,
        allowed=SEES,
        ok_status=(200, 302),
        denied_status=(403, 404),
        row=partner,
    )


def test_the_tabs_mark_the_open_one_and_follow_the_permissions(client, org):
    """The tabs are drawn once per user, generation, language and open tab (crm.fragments):
    each request marks its own tab, and a permission taken away takes its tab away."""
    from django.contrib.auth.models import Permission

    partner = make_partner(org.owner)
    client.force_login(org.owner)
    url = reverse("partners:detail", args=[partner.pk])
    for tab in ("overview", "timeline", "contacts", "overview"):
        page = client.get(url, {"tab": tab}).content.decode()
        assert page.count('class="nav-link active" href="?tab=') == 1
        assert f'class="nav-link active" href="?tab={tab}"' in page
    view_activity = Permission.objects.get(codename="view_activity")
    for group in org.owner.groups.filter(permissions=view_activity):
        group.permissions.remove(view_activity)
    org.owner.user_permissions.remove(view_activity)
    page = client.get(url, {"tab": "overview"}).content.decode()
    assert 'data-tab="contacts"' in page and 'data-tab="timeline"' not in page


def test_contact_detail_follows_its_partner(client, org):
    contact = make_contact(make_partner(org.owner))
    check_access(
        client,
        org,
        reverse("partners:contact-detail", args=[contact.pk]),
        allowed=SEES,
        denied_status=(403, 404),
    )


def test_list_and_search_show_only_visible_partners(client, org):
    mine = make_partner(org.owner, name="Tisza-Szoft Kft.")
    theirs = make_partner(org.peer, name="Tisza-Gép Kft.")
    make_contact(mine, family_name="Fekete", emails=["fekete@tisza.example"])
    make_contact(theirs, family_name="Fehér", emails=["feher@tisza.example"])
    client.force_login(org.owner)
    page = client.get(reverse("partners:list")).content.decode()
    assert "Tisza-Szoft Kft." in page and "Tisza-Gép Kft." not in page
    found = client.get(reverse("search"), {"q": "tisza"}, HTTP_HX_REQUEST="true")
    text = found.content.decode()
    assert "Tisza-Szoft Kft." in text and "Fekete" in text
    assert "Tisza-Gép Kft." not in text and "Fehér" not in text
    client.force_login(org.supervisor)
    text = client.get(reverse("search"), {"q": "tisza"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Tisza-Szoft Kft." in text and "Tisza-Gép Kft." in text
    client.force_login(org.outsider)
    text = client.get(reverse("search"), {"q": "tisza"}).content.decode()
    assert "Tisza" not in text.split('data-testid="search-results"', 1)[-1]


def test_search_finds_by_tax_number_phone_and_without_accents(client, org):
    partner = make_partner(org.owner, name="Ödön és Társa Bt.", tax_number=TAX_NUMBERS[2])
    make_contact(partner, family_name="Szőke", phones=["+36 30 123 4567"])
    client.force_login(org.owner)
    for text, expected in [
        ("odon", "Ödön és Társa Bt."),
        ("23451672-2", "Ödön és Társa Bt."),
        ("06 30 123 45", "Szőke"),
        ("szoke", "Szőke"),
    ]:
        page = client.get(reverse("search"), {"q": text}, HTTP_HX_REQUEST="true").content.decode()
        assert expected in page, text


def _count_queries(client, url) -> int:
    """Queries of a page in the steady state: after one request has filled the cached access
    profile and reference lists (which a change of a tag, say, empties)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_list_and_detail_issue_the_same_queries_for_1_and_50_rows(client, org):
    first = make_partner(org.owner, name="Egy Kft.")
    make_contact(first)
    client.force_login(org.supervisor)
    list_url = reverse("partners:list")
    contacts_url = reverse("partners:detail", args=[first.pk]) + "?tab=contacts"
    one_list = _count_queries(client, list_url)
    one_detail = _count_queries(client, contacts_url)
    one_contacts = _count_queries(client, reverse("partners:contacts"))
    for n in range(49):
        partner = make_partner(org.owner if n % 2 else org.peer, name=f"Partner {n:02d} Kft.")
        partner.tags.create(name=f"Címke {n}")
        make_contact(first, family_name=f"Név{n}", emails=[f"n{n}@example.hu"])
    contact_type = ContactType.objects.filter(single=False).first()
    for contact in Contact.objects.all():
        contact.roles.create(type=contact_type, partner=contact.partner, single=False)
    client.force_login(org.supervisor)
    assert _count_queries(client, list_url) == one_list
    assert _count_queries(client, contacts_url) == one_detail
    assert _count_queries(client, reverse("partners:contacts")) == one_contacts


def test_keyset_pages_walk_every_visible_partner_once(client, org):
    for n in range(120):
        make_partner(org.owner, name=f"Cég {n:03d} Kft.")
    client.force_login(org.owner)
    seen, url = [], reverse("partners:list")
    while url:
        page = client.get(url)
        rows = page.context["rows"]
        seen += [row.name for row in rows]
        url = page.context["next_url"] and reverse("partners:list") + page.context["next_url"]
    assert seen == sorted(seen) and len(seen) == 120 == len(set(seen))


def test_bad_filters_and_a_tampered_cursor_are_no_500(client, org):
    make_partner(org.owner, name="Biztos Kft.")
    client.force_login(org.owner)
    for query in [
        {"status": "nonsense"},
        {"owner": "abc"},
        {"industry": "999999"},
        {"after": "garbage:xyz"},
        {"sort": "password"},
        {"attr_missing": "1"},
    ]:
        response = client.get(reverse("partners:list"), query)
        assert response.status_code == 200, query
    page = client.get(reverse("partners:list"), {"after": "garbage:xyz"}).content.decode()
    assert "Biztos Kft." in page


def test_html_in_a_name_is_shown_as_text(client, org):
    make_partner(org.owner, name="<script>alert(1)</script> Kft.")
    client.force_login(org.owner)
    page = client.get(reverse("partners:list")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kft." in page


def test_create_refuses_an_existing_tax_number_and_warns_of_a_similar_name(client, org):
    make_partner(org.peer, name="Mecsek Építő Zrt.", tax_number=TAX_NUMBERS[4])
    client.force_login(org.owner)
    url = reverse("partners:create")
    response = client.post(url, {"name": "Mecsek Építő", "tax_number": "13654829 2 02"})
    assert response.status_code == 200
    assert "Ezzel az adószámmal már van partner." in response.content.decode()
    response = client.post(url, {"name": "Mecsek Építő Zrt"})
    assert "Hasonló nevű partnerek már vannak" in response.content.decode()
    # The peer's partner is named, but the rep gets no link to a page they may not open.
    assert reverse("partners:detail", args=[Partner.objects.get().pk]) not in (
        response.content.decode()
    )
    response = client.post(url, {"name": "Mecsek Építő Zrt", "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Partner.objects.filter(name="Mecsek Építő Zrt").exists()


def test_create_validates_tax_number_check_digit_and_keeps_the_typed_data(client, org):
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:create"),
        {"name": "Hibás Adószám Kft.", "tax_number": "12345678-1-12", "city": "Eger"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "ellenőrző számjegye hibás" in page
    assert 'value="Eger"' in page
    assert not Partner.objects.exists()


def test_a_website_without_a_scheme_can_be_typed_and_gets_https(client, org):
    """The browser must not refuse "pelda.hu" (an <input type="url"> would): the field takes
    it and stores https://pelda.hu."""
    client.force_login(org.owner)
    form = client.get(reverse("partners:create")).content.decode()
    field = re.search(r'<input[^>]*name="website"[^>]*>', form).group(0)
    assert 'type="text"' in field and 'inputmode="url"' in field
    client.post(reverse("partners:create"), {"name": "Séma Nélküli Kft.", "website": "pelda.hu"})
    assert Partner.objects.get(name="Séma Nélküli Kft.").website == "https://pelda.hu"


def test_the_creator_owns_a_new_partner_and_managers_see_it(client, org):
    client.force_login(org.owner)
    response = client.post(reverse("partners:create"), {"name": "Új Ügyfél Kft."})
    partner = Partner.objects.get(name="Új Ügyfél Kft.")
    assert response.status_code == 302
    assert set(PartnerOwner.objects.filter(partner=partner).values_list("user", flat=True)) == {
        org.owner.pk
    }
    assert Partner.objects.visible_to(org.boss).filter(pk=partner.pk).exists()
    assert not Partner.objects.visible_to(org.peer).filter(pk=partner.pk).exists()


def test_stale_edit_gets_a_conflict_message_and_keeps_the_typed_text(client, org):
    partner = make_partner(org.owner, name="Régi Név Kft.")
    client.force_login(org.supervisor)
    client.post(
        reverse("partners:edit", args=[partner.pk]),
        {"name": "Főnök Kft.", "base_version": partner.version},
    )
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:edit", args=[partner.pk]),
        {"name": "Tulaj Kft.", "base_version": partner.version},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "mentette ezt a rekordot, miközben Ön szerkesztette" in page
    assert 'value="Tulaj Kft."' in page
    assert Partner.objects.get(pk=partner.pk).name == "Főnök Kft."


def test_quick_add_contact_from_the_partner_page(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    url = reverse("partners:contact-create", args=[partner.pk]) + "?quick=1"
    response = client.post(
        url,
        {
            "quick": "1",
            "quick-family_name": "Nagy",
            "quick-given_name": "Éva",
            "quick-emails": "nagy.eva@example.hu",
            "quick-phones": "06 30 111 2222",
            "quick-language": "hu",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    contact = Contact.objects.get(partner=partner)
    assert contact.full_name == "Nagy Éva"
    assert contact.phones == ["+36 30 111 2222"]


def test_a_second_contact_of_a_single_only_type_is_refused_with_a_message(client, org):
    partner = make_partner(org.owner)
    decision = ContactType.objects.get(name_en="Decision maker")
    first = make_contact(partner)
    first.roles.create(type=decision, partner=partner, single=True)
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:contact-create", args=[partner.pk]),
        {"family_name": "Második", "language": "hu", "types": [decision.pk]},
    )
    assert response.status_code == 200
    assert "Egy partnernek csak egy lehet." in response.content.decode()
    assert Contact.objects.filter(partner=partner).count() == 1


def test_a_single_only_type_is_enforced_by_the_database_too(org):
    from django.db import IntegrityError, transaction

    partner = make_partner(org.owner)
    decision = ContactType.objects.get(name_en="Decision maker")
    make_contact(partner).roles.create(type=decision, partner=partner, single=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_contact(partner, family_name="Más").roles.create(
            type=decision, partner=partner, single=True
        )


def test_owners_page_hands_a_partner_over_within_the_team(client, org):
    partner = make_partner(org.owner)
    client.force_login(org.supervisor)
    response = client.post(
        reverse("partners:assign", args=[partner.pk]),
        {"owners": [org.peer.pk], "reason": "Szabadság"},
    )
    assert response.status_code == 302
    assert not Partner.objects.visible_to(org.owner).filter(pk=partner.pk).exists()
    assert Partner.objects.visible_to(org.peer).filter(pk=partner.pk).exists()
    client.force_login(org.owner)
    assert client.get(reverse("partners:assign", args=[partner.pk])).status_code in (403, 404)


def test_visibility_index_follows_owner_changes(org):
    """The partners' entries of the visibility index equal the rule after owners come and go
    and the hierarchy changes (two owners under one supervisor: removing one keeps it)."""
    from crm.models import SupervisorLink

    partner = make_partner(org.owner)
    company = org.company

    def indexed():
        return set(
            Visibility.objects.filter(
                tab=table_id(Partner), record_id=partner.pk, company_id=company.pk
            ).values_list("viewer_id", flat=True)
        )

    def rule():
        return {
            u.pk
            for u in org.users.values()
            if u.is_active
            and not u.is_superuser
            and u.current_company_id == company.pk
            and u.has_perm("partners.view_partner")
            and Partner.objects.all().by_rule(u).filter(pk=partner.pk).exists()
            and not u.has_perm("crm.view_all_company_records")
        }

    assert (
        indexed()
        >= rule()
        == {
            org.owner.pk,
            org.supervisor.pk,
            org.second_supervisor.pk,
            org.boss.pk,
        }
    )
    partner_assign(partner=partner, company=company, users=[org.owner, org.peer], by=org.boss)
    assert org.peer.pk in indexed()
    partner_assign(partner=partner, company=company, users=[org.peer], by=org.boss)
    assert indexed() == {org.peer.pk, org.supervisor.pk, org.boss.pk}
    SupervisorLink.objects.filter(user=org.peer, supervisor=org.supervisor).delete()
    assert indexed() == {org.peer.pk}


def test_columns_choice_is_remembered(client, org):
    make_partner(org.owner, headcount=42)
    client.force_login(org.owner)
    client.post(reverse("partners:columns", args=["partners"]), {"columns": ["headcount"]})
    page = client.get(reverse("partners:list"))
    assert [c.key for c in page.context["columns"]] == ["headcount"]
    assert ">42<" in page.content.decode().replace(" ", "").replace("\n", "")


def test_contact_list_filters_by_partner_owner_city_and_attribute(client, org):
    from partners.models import AttributeDefinition, AttributeKind, AttributeTarget

    AttributeDefinition.objects.create(
        target=AttributeTarget.CONTACT,
        key="newsletter",
        label_hu="Hírlevél",
        kind=AttributeKind.BOOLEAN,
    )
    mine = make_partner(org.owner, name="Saját Kft.", city="Eger")
    peers = make_partner(org.peer, name="Társé Kft.", city="Pécs")
    make_contact(mine, family_name="Egri", attributes={"newsletter": True})
    make_contact(mine, family_name="Hallgatag", attributes={"newsletter": False})
    make_contact(peers, family_name="Pécsi")
    client.force_login(org.supervisor)

    def names(**query):
        rows = client.get(reverse("partners:contacts"), query).context["rows"]
        return sorted(c.family_name for c in rows)

    assert names() == ["Egri", "Hallgatag", "Pécsi"]
    assert names(owner=org.peer.pk) == ["Pécsi"]
    assert names(city="eger") == ["Egri", "Hallgatag"]
    assert names(attr_newsletter="true") == ["Egri"]
    assert names(owner="x", city="<b>") == []
    client.force_login(org.owner)
    assert names() == ["Egri", "Hallgatag"]


def test_sites_and_mailing_address_on_the_partner_form(client, org):
    client.force_login(org.owner)
    management = {"addr-TOTAL_FORMS": "2", "addr-INITIAL_FORMS": "0"}
    response = client.post(
        reverse("partners:create"),
        {
            "name": "Telephelyes Kft.",
            **management,
            "addr-0-kind": "site",
            "addr-0-postcode": "6000",
            "addr-0-city": "Kecskemét",
            "addr-0-street": "Ipari út 3.",
            "addr-1-kind": "mailing",
            "addr-1-postcode": "12",
            "addr-1-city": "Budapest",
            "addr-1-street": "Pf. 12",
        },
    )
    assert response.status_code == 200  # the bad postcode of the second address
    assert "négyjegyű" in response.content.decode()
    assert not Partner.objects.exists()
    response = client.post(
        reverse("partners:create"),
        {
            "name": "Telephelyes Kft.",
            **management,
            "addr-0-kind": "site",
            "addr-0-postcode": "6000",
            "addr-0-city": "Kecskemét",
            "addr-0-street": "Ipari út 3.",
        },
    )
    partner = Partner.objects.get()
    assert [str(a) for a in partner.addresses.all()] == ["6000 Kecskemét, Ipari út 3."]
    assert (
        "Ipari út 3." in client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    )
    # an edit that leaves the address as it was keeps it (it was deleted: found in review)
    unchanged = {
        "name": "Telephelyes Kft.",
        "addr-TOTAL_FORMS": "2",
        "addr-INITIAL_FORMS": "1",
        "addr-0-kind": "site",
        "addr-0-postcode": "6000",
        "addr-0-city": "Kecskemét",
        "addr-0-street": "Ipari út 3.",
    }
    partner.refresh_from_db()
    response = client.post(
        reverse("partners:edit", args=[partner.pk]),
        {**unchanged, "base_version": partner.version, "notes": "Megjegyzés"},
    )
    assert response.status_code == 302
    assert [str(a) for a in partner.addresses.all()] == ["6000 Kecskemét, Ipari út 3."]
    partner.refresh_from_db()
    response = client.post(
        reverse("partners:edit", args=[partner.pk]),
        {**unchanged, "base_version": partner.version, "addr-0-DELETE": "on"},
    )
    assert response.status_code == 302
    assert not partner.addresses.exists()


@pytest.mark.parametrize("small_scope", [0, 5000])
def test_visible_to_agrees_with_the_rule_for_every_persona(org, small_scope, monkeypatch):
    """Both ways of asking the visibility index (an id array for small scopes, a probe per
    row for large ones) give what the owner rows and the supervisor graph say."""
    import partners.models

    monkeypatch.setattr(partners.models, "SMALL_SCOPE", small_scope)
    made = [make_partner(org.owner, name="A"), make_partner(org.peer, name="B")]
    made.append(make_partner(org.supervisor, name="C"))
    partner_assign(partner=made[0], company=org.company, users=[org.owner, org.peer], by=org.boss)
    contacts = [make_contact(p) for p in made]
    # One partner shared with one user (an object grant): that user is answered by the rule.
    assign_perm("partners.view_partner", org.users["other_company_user"], made[2])
    for user in org.users.values():
        user.refresh_from_db()
        for action in ("view", "change"):
            expected = set(Partner.objects.all().by_rule(user, action).values_list("pk", flat=True))
            assert set(
                Partner.objects.all()._scoped(user, action).values_list("pk", flat=True)
            ) == (expected), (user.username, action)
            if action == "view":  # the partner page asks in its own statement
                company_id = current_company_id(user) or org.company.pk
                found = {
                    p.pk
                    for p in made
                    if Partner.objects.page_for(user, company_id=company_id, pk=p.pk)
                }
                assert found == {p.pk for p in made} & expected, user.username
            seen = set(
                Contact.objects.all()._through_partner(user, action).values_list("pk", flat=True)
            )
            assert seen == {c.pk for c in contacts if c.partner_id in expected}


@pytest.mark.parametrize("small_scope", [0, 5000])
def test_owner_and_team_filter(client, org, small_scope, monkeypatch):
    import partners.models

    monkeypatch.setattr(partners.models, "SMALL_SCOPE", small_scope)
    make_partner(org.owner, name="Tulajé Kft.")
    make_partner(org.peer, name="Társé Kft.")
    make_partner(org.supervisor, name="Főnöké Kft.")

    def names(user, **query):
        client.force_login(user)
        rows = client.get(reverse("partners:list"), query).context["rows"]
        return [p.name for p in rows]

    assert names(org.boss, owner=org.supervisor.pk, subtree="on") == [
        "Főnöké Kft.",
        "Társé Kft.",
        "Tulajé Kft.",
    ]
    assert names(org.boss, owner=org.supervisor.pk) == ["Főnöké Kft."]
    assert names(org.supervisor, owner=org.peer.pk) == ["Társé Kft."]
    # Somebody outside one's scope is no choice, and filtering by them shows nothing of theirs.
    assert names(org.owner, owner=org.peer.pk) == ["Tulajé Kft."]
    assert names(org.outsider, owner=org.peer.pk) == []


@pytest.mark.parametrize("owned_scope", [0, 50_000])
def test_search_box_prefix_matches_first_and_scoped(client, org, owned_scope, monkeypatch):
    """Through the owners' search index and the other way (partners.search)."""
    import partners.models

    monkeypatch.setattr(partners.models, "OWNED_SEARCH_SCOPE", owned_scope)
    monkeypatch.setattr(partners.models, "_scope_sizes", {})
    make_partner(org.owner, name="Balatoni Pannon Kft.")
    make_partner(org.owner, name="Pannon-Víz Zrt.")
    make_partner(org.peer, name="Pannónia Bt.")
    client.force_login(org.owner)

    def found(text):
        response = client.get(reverse("search"), {"q": text}, HTTP_HX_REQUEST="true")
        return [p.name for p in response.context["partners"]]

    assert found("pannon") == ["Pannon-Víz Zrt.", "Balatoni Pannon Kft."]
    # three letters: a word that starts with them, the names that start with them first
    assert found("pan") == ["Pannon-Víz Zrt.", "Balatoni Pannon Kft."]
    assert found("ann") == []  # inside a word: from four letters on
    assert found("pa") == []
    assert found("100%_") == []
    client.force_login(org.supervisor)
    assert found("pannon") == ["Pannon-Víz Zrt.", "Pannónia Bt.", "Balatoni Pannon Kft."]


@pytest.mark.parametrize("owned_scope", [0, 50_000])
def test_search_box_contacts_show_their_partner_and_are_scoped(
    client, org, owned_scope, monkeypatch
):
    import partners.models

    monkeypatch.setattr(partners.models, "OWNED_SEARCH_SCOPE", owned_scope)
    monkeypatch.setattr(partners.models, "_scope_sizes", {})
    mine = make_partner(org.owner, name="Saját <b>Kft.</b>")
    theirs = make_partner(org.peer, name="Társé Bt.")
    make_contact(mine, family_name="Pannonhalmi", given_name="Péter")
    make_contact(theirs, family_name="Pannonhalmi", given_name="Pál")
    client.force_login(org.owner)
    response = client.get(reverse("search"), {"q": "pannonh"}, HTTP_HX_REQUEST="true")
    assert [(c.full_name, c.partner.name) for c in response.context["contacts"]] == [
        ("Pannonhalmi Péter", "Saját <b>Kft.</b>")
    ]
    html = response.content.decode()
    assert "Saját &lt;b&gt;Kft.&lt;/b&gt;" in html and "Társé" not in html


def test_duplicate_warning_does_not_show_another_teams_partner_data(client, org):
    make_partner(
        org.peer, name="Titkos Gépház Kft.", tax_number=TAX_NUMBERS[3], city="Zalaegerszeg"
    )
    client.force_login(org.owner)
    page = client.get(reverse("partners:duplicates"), {"name": "Titkos Gépház"}).content.decode()
    assert "Titkos Gépház Kft." in page
    assert TAX_NUMBERS[3] not in page and "Zalaegerszeg" not in page
    client.force_login(org.supervisor)
    page = client.get(reverse("partners:duplicates"), {"name": "Titkos Gépház"}).content.decode()
    assert TAX_NUMBERS[3] in page and "Zalaegerszeg" in page


def test_the_overview_shows_addresses_figures_ids_status_and_events(client, org):
    import datetime
    from decimal import Decimal

    from partners.models import ExternalId, PartnerAddress, PartnerFinancials
    from partners.status import record_business_event

    partner = make_partner(org.owner, name="Áttekintő Kft.")
    PartnerAddress.objects.create(
        partner=partner, kind="site", postcode="6720", city="Szeged", street="Kárász utca 1."
    )
    for year in range(2018, 2025):
        PartnerFinancials.objects.create(
            partner=partner, year=year, revenue=9_007_199_254_740_993 + year, profit=-1_250_000
        )
    ExternalId.objects.create(partner=partner, system="erp", value="V-0042")
    for n, amount in enumerate([Decimal("123456789012345"), Decimal("1")]):
        record_business_event(
            partner=partner,
            company=org.company,
            kind="turnover",
            occurred_on=datetime.date.today() - datetime.timedelta(days=n),
            source="test",
            reference=f"SZ-{n}",
            amount=amount,
        )
    client.force_login(org.owner)
    page = client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "6720 Szeged, Kárász utca 1." in page or "Kárász utca 1." in page
    assert "V-0042" in page and "erp" in page
    # Big amounts keep every digit (no float on the way): revenue 2^53 + 1 + year, turnover.
    page = page.replace("\xa0", " ")  # the Hungarian thousands separator
    assert "9 007 199 254 743 017 Ft" in page  # 2024's revenue
    assert "9 007 199 254 743 011 Ft" not in page  # 2018: only the last five years are shown
    assert "123 456 789 012 345 Ft" in page and "SZ-0" in page and "SZ-1" in page
    assert "123 456 789 012 346 Ft" in page  # the period's turnover on the status card


def test_the_contact_list_shows_the_columns_each_user_chose(client, org):
    partner = make_partner(org.owner, name="Oszlop Kft.", city="Győr")
    make_contact(partner, family_name="Választó", emails=["a@oszlop.hu", "b@oszlop.hu"])
    client.force_login(org.owner)
    url = reverse("partners:contacts")
    page = client.get(url).content.decode()
    assert ">Beosztás</th>" in page and "b@oszlop.hu" not in page  # the default columns
    response = client.post(
        reverse("partners:columns", args=["contacts"]),
        {"columns": ["emails", "city", "no-such-column"]},
    )
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "a@oszlop.hu, b@oszlop.hu" in page and "Győr" in page
    assert ">Beosztás</th>" not in page and "no-such-column" not in page
    # The partner list keeps its own choice, and another user the default.
    assert ">Adószám</th>" in client.get(reverse("partners:list")).content.decode()
    client.force_login(org.supervisor)
    assert ">Beosztás</th>" in client.get(url).content.decode()
    assert client.post(reverse("partners:columns", args=["nonsense"])).status_code == 403


def test_list_filters_follow_reference_changes_mark_the_chosen_owner_and_escape(client, org):
    """The filter forms' fields are shared by the worker's requests (partners.forms): a new
    attribute appears on the next request, the chosen owner is marked in this request only,
    names are escaped, and each language has its own labels."""
    peer = org.users["peer"]
    peer.last_name = "<b>Társ</b>"
    peer.save()
    client.force_login(org.supervisor)
    page = client.get(reverse("partners:list")).content.decode()
    assert "attr_segment" not in page and f'<option value="{peer.pk}">' in page
    assert "&lt;b&gt;Társ&lt;/b&gt;" in page and "<b>Társ</b>" not in page
    make_segment_attribute()
    page = client.get(reverse("partners:list"), {"owner": peer.pk}).content.decode()
    assert 'name="attr_segment"' in page and ">Nagyvállalat</option>" in page
    assert f'<option value="{peer.pk}" selected>' in page and page.count(" selected>") == 1
    page = client.get(reverse("partners:list")).content.decode()
    assert " selected>" not in page  # the choice of the request before is not kept
    client.post(reverse("set_language"), {"language": "en", "next": "/partners/"})
    page = client.get(reverse("partners:list")).content.decode()
    assert ">Large</option>" in page and ">Owner</label>" in page
    assert ">anyone</option>" in page


def test_list_rows_show_owners_tags_created_and_attributes_as_chosen(client, org):
    """The rows' owners come from the request's list of the company's people, or from the
    database for an owner who is not among them (deactivated); tags from the cached list, in
    name order; the creation day and the attributes only when a chosen column shows them."""
    from partners.models import Tag

    make_segment_attribute()
    tags = [Tag.objects.create(name=n) for n in ("Zöld", "<i>Alma</i>", "Barack")]
    partner = make_partner(org.owner, name="Sorrend Kft.", attributes={"segment": "nagy"})
    partner.tags.set(tags[:2])
    partner_assign(partner=partner, company=org.company, users=[org.owner, org.peer], by=org.boss)
    client.force_login(org.supervisor)

    def row():
        page = client.get(reverse("partners:list"))
        return page.context["rows"][0], page.content.decode()

    people = type(org.owner).objects.filter(pk__in=[org.owner.pk, org.peer.pk])
    owners = [str(u) for u in people.order_by("last_name", "first_name", "pk")]  # as the DB sorts
    first, html = row()
    assert first.owner_names == owners and sorted(owners) == ["Tulaj Olga", "Társ Péter"]
    assert [t["name"] for t in first.tag_list] == ["<i>Alma</i>", "Zöld"]
    assert first.created_at is None and first.attributes is None  # not shown: not read
    client.post(
        reverse("partners:columns", args=["partners"]),
        {"columns": ["owners", "tags", "created", "attr:segment"]},
    )
    org.peer.is_active = False  # no longer among the company's people: read by id
    org.peer.save()
    first, html = row()
    assert first.owner_names == owners
    assert ", ".join(owners) in html and "&lt;i&gt;Alma&lt;/i&gt;" in html
    assert "<i>Alma</i>" not in html and "Nagyvállalat" in html
    created = timezone.localtime(partner.created_at)
    assert f"{created:%Y. %m. %d.}" in html


def test_the_columns_menu_is_drawn_once_and_follows_the_choice(client, org):
    """The "Columns" menu comes from the worker's fragments (crm.fragments): its form carries
    this request's CSRF token, and a new choice is drawn at once."""
    import re

    from crm.fragments import forget_all

    forget_all()
    checks = Client(enforce_csrf_checks=True)
    checks.force_login(org.owner)
    for _ in range(2):  # drawn, then from the worker's memory
        page = checks.get(reverse("partners:list")).content.decode()
    menu = page[page.index('data-testid="columns-form"') :]
    assert 'value="headcount" id="col-10">' in menu  # not chosen: no "checked"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', menu).group(1)
    response = checks.post(
        reverse("partners:columns", args=["partners"]),
        {"columns": ["headcount", "city"], "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    page = checks.get(reverse("partners:list")).content.decode()
    menu = page[page.index('data-testid="columns-form"') :]
    assert 'value="headcount" id="col-10" checked>' in menu
    assert 'value="tax_number" id="col-2">' in menu


def test_a_new_contact_type_appears_in_the_contact_list_filter(client, org):
    """The contact list's filter fields are shared by the worker's requests: a contact type
    an admin adds is offered on the next request."""
    client.force_login(org.owner)
    assert ">Beszerző</option>" not in client.get(reverse("partners:contacts")).content.decode()
    ContactType.objects.create(name_hu="Beszerző", name_en="Buyer")
    page = client.get(reverse("partners:contacts")).content.decode()
    assert ">Beszerző</option>" in page


def test_a_list_reads_its_column_choice_with_the_user_not_in_a_round_trip_of_its_own(
    client, org, monkeypatch
):
    """The column choices are read beside the access generation (crm.access.with_generation):
    a list page asks Redis nothing more for them, and a new choice shows at once."""
    import redis

    make_partner(org.owner, headcount=42)
    client.force_login(org.owner)
    client.post(reverse("partners:columns", args=["partners"]), {"columns": ["headcount"]})
    client.get(reverse("partners:list"))  # the choice is in the cache now
    commands = []
    real = redis.Redis.execute_command

    def counted(self, *args, **options):
        commands.append(args)
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    page = client.get(reverse("partners:list"))
    assert [c.key for c in page.context["columns"]] == ["headcount"]
    alone = [a for a in commands if a[0] == "GET" and b"partners:columns:" in str(a[1]).encode()]
    together = [
        a for a in commands if a[0] == "MGET" and "partners:columns:" in " ".join(map(str, a))
    ]
    assert not alone and together
    client.post(reverse("partners:columns", args=["partners"]), {"columns": ["city"]})
    assert [c.key for c in client.get(reverse("partners:list")).context["columns"]] == ["city"]


def test_a_rep_of_another_own_company_takes_on_a_partner_of_the_shared_master(client, org):
    """The partner master is shared: a rep of the second company who types in a company the
    first one works is offered to take it on for their company (no owner there), instead of
    being refused with no way forward (found by a user audit); within a company, another
    team's partner is not offered."""
    from tests.access import member
    from tests.factories import UserFactory

    partner = make_partner(org.owner, name="Közös Gépház Kft.", tax_number=TAX_NUMBERS[3])
    rep = member(UserFactory(username="masodik_rep"), org.other_company, "sales_rep")
    client.force_login(rep)
    answer = client.post(
        reverse("partners:create"), {"name": "Közös Gépház Kft.", "tax_number": TAX_NUMBERS[3]}
    )
    page = answer.content.decode()
    assert "Ezzel az adószámmal már van partner" in page
    assert (
        'data-testid="take-on"' in page and reverse("partners:take-on", args=[partner.pk]) in page
    )
    assert not Partner.objects.visible_to(rep).filter(pk=partner.pk).exists()
    taken = client.post(reverse("partners:take-on", args=[partner.pk]))
    assert taken.status_code == 302 and taken["Location"] == reverse(
        "partners:detail", args=[partner.pk]
    )
    assert PartnerOwner.objects.filter(
        partner=partner, company=org.other_company, user=rep
    ).exists()
    assert client.get(taken["Location"]).status_code == 200
    # the first company's owner keeps it; a peer there is told to ask, and cannot take it
    assert PartnerOwner.objects.filter(
        partner=partner, company=org.company, user=org.owner
    ).exists()
    client.force_login(org.peer)
    page = client.get(reverse("partners:duplicates"), {"name": "Közös Gépház"}).content.decode()
    assert "Közös Gépház Kft." in page and 'data-testid="take-on"' not in page
    refused = client.post(reverse("partners:take-on", args=[partner.pk]), follow=True)
    assert "már van felelőse a cégében" in refused.content.decode()
    assert not PartnerOwner.objects.filter(partner=partner, user=org.peer).exists()
    client.force_login(org.outsider)
    assert client.post(reverse("partners:take-on", args=[partner.pk])).status_code == 403
    client.force_login(rep)
    assert client.post(reverse("partners:take-on", args=[999999])).status_code == 404
    assert client.get(reverse("partners:take-on", args=[partner.pk])).status_code == 405


@pytest.mark.parametrize(
    ("url_name", "name"), [("partners:list", "partner"), ("partners:contacts", "contact")]
)
def test_the_list_filters_are_drawn_once_and_follow_tags_and_the_values(
    client, org, url_name, name
):
    """The filters come from the worker's fragments (crm.fragments) after their first drawing,
    keyed by the request's values (not the page cursor) and the reference lists: a tag an
    admin adds is offered on the next request."""
    from crm.fragments import forget_all
    from partners.models import Tag

    forget_all()
    client.force_login(org.owner)
    filters = f"partners/partials/{name}_filters.html"

    def get(**values):
        response = client.get(reverse(url_name), values)
        page = response.content.decode()
        start = page.index(f'data-testid="{name}-filters"')
        return [t.name for t in response.templates], page[start : page.index("</form>", start)]

    drawn, first = get()
    assert filters in drawn
    drawn, again = get()
    assert filters not in drawn and again == first
    Tag.objects.create(name="Kiemelt <b>")
    drawn, page = get()
    assert filters in drawn and ">Kiemelt &lt;b&gt;</option>" in page
    drawn, page = get(county="BU")
    assert filters in drawn and '<option value="BU" selected>' in page
    drawn, later = get(county="BU", after="W1siQSIsIDFdXQ")
    assert filters not in drawn and later == page
