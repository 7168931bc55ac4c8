"""Issue 31 item 24 (the lists): the partner and contact lists show how many rows their filters
match, capped ("more than 10 000"), and a "Previous page" link (tests/partners/test_list_index.py
walks every path back)."""

import re

import pytest
from django.urls import reverse

import partners.views as views

from .conftest import make_contact, make_partner

pytestmark = pytest.mark.django_db


def _count(client, name, params=None) -> str:
    page = client.get(reverse(name), params or {}, HTTP_ACCEPT_LANGUAGE="hu").content.decode()
    found = re.search(r'data-testid="list-count">([^<]*)<', page)
    return found.group(1) if found else ""


def test_the_partner_list_shows_how_many_partners_match_and_more_than_the_cap(
    client, org, monkeypatch
):
    monkeypatch.setattr(views, "COUNT_CAP", 4)
    for n in range(3):
        make_partner(org.owner, name=f"Saját {n} Kft.", city="Pécs" if n else "Eger")
    for n in range(3):
        make_partner(org.peer, name=f"Társé {n} Kft.")
    client.force_login(org.owner)  # the rep: read from the visibility index
    assert _count(client, "partners:list") == "3 partner"
    assert _count(client, "partners:list", {"city": "Eger"}) == "1 partner"  # the general query
    client.force_login(org.supervisor)  # the team's six, past the cap of four
    assert _count(client, "partners:list") == "több mint 4 partner"
    assert _count(client, "partners:list", {"city": "Pécs"}) == "2 partner"
    client.force_login(org.boss)  # see-all or by hierarchy: the count follows the scope
    assert _count(client, "partners:list", {"city": "Eger"}) == "1 partner"


def test_the_contact_list_shows_how_many_contacts_match(client, org, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    mine = make_partner(org.owner, name="Saját Kft.")
    make_contact(mine, family_name="Aba")
    make_contact(mine, family_name="Bene")
    make_contact(make_partner(org.peer, name="Társé Kft."), family_name="Cseh")
    client.force_login(org.owner)  # a small scope: read from its partners' contacts
    assert _count(client, "partners:contacts") == "2 kapcsolattartó"
    assert _count(client, "partners:contacts", {"q": "aba"}) == "1 kapcsolattartó"
    client.force_login(org.supervisor)
    assert _count(client, "partners:contacts", {"city": "Szeged"}) == "több mint 2 kapcsolattartó"


def test_previous_page_keeps_the_filters_and_the_first_page_has_none(client, org, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for n in range(5):
        make_partner(org.owner, name=f"P{n} Kft.", city="Szeged")
    client.force_login(org.supervisor)
    first = client.get(reverse("partners:list"), {"city": "Szeged"})
    assert first.context["prev_url"] == ""
    second = client.get(reverse("partners:list") + first.context["next_url"])
    assert second.context["prev_url"].startswith("?city=Szeged&before=")
    back = client.get(reverse("partners:list") + second.context["prev_url"])
    assert [p.name for p in back.context["rows"]] == ["P0 Kft.", "P1 Kft."]
    assert 'rel="prev"' in second.content.decode() and 'rel="prev"' not in back.content.decode()


def test_a_count_slower_than_its_budget_is_not_shown_and_leaves_no_time_limit_behind(
    client, org, settings
):
    from django.db import connection

    from crm.keyset import count_within

    def slow():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM (SELECT pg_sleep(0.3)) s")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    assert count_within(slow, milliseconds=50) is None
    assert count_within(slow, milliseconds=2000) == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before
    make_partner(org.owner, name="Egy Kft.")
    client.force_login(org.owner)
    settings.LIST_COUNT_MILLISECONDS = 0  # never count: the list still works, without one
    assert _count(client, "partners:list") == ""
    assert "Egy Kft." in client.get(reverse("partners:list")).content.decode()
