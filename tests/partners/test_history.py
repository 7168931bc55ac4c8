"""The History tab of a partner and the contact page's history: values as people read them."""

import html
import re

import pghistory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.models import Industry, Partner, PartnerAddress, Tag
from partners.services import partner_create
from tests.access import check_access

from .conftest import make_contact, make_partner, make_segment_attribute

pytestmark = pytest.mark.django_db

# Who may see a rep's partner (as in test_views.py): not the peer, not the outsider.
SEES = {"owner", "supervisor", "second_supervisor", "boss", "other_company_user", "superuser"}


def _history_url(partner) -> str:
    return reverse("partners:detail", args=[partner.pk]) + "?tab=history"


def _history_text(response) -> str:
    """The history table as a user reads it: tags dropped, entities decoded, spaces collapsed."""
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('data-testid="history"') : page.index("</table>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", table))).replace(" :", ":")


def _edit(client, partner, **fields):
    partner.refresh_from_db()
    data = {
        "name": partner.name,
        "city": partner.city,
        "base_version": partner.version,
        **fields,
    }
    response = client.post(reverse("partners:edit", args=[partner.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


SITE = {
    "addr-TOTAL_FORMS": "1",
    "addr-INITIAL_FORMS": "0",
    "addr-0-kind": "site",
    "addr-0-postcode": "4024",
    "addr-0-city": "Debrecen",
    "addr-0-street": "Piac utca 12.",
}


def test_changes_show_names_labels_and_dates_in_both_languages(client, org):
    industry = Industry.objects.create(
        code="62.01", name_hu="Számítógépes programozás", name_en="Computer programming"
    )
    make_segment_attribute()
    tag = Tag.objects.create(name="Kiemelt")
    partner = make_partner(org.owner)
    client.force_login(org.owner)
    edited = {
        "county": "BU",
        "phones": "+36 30 123 4567\n+36 1 234 5678",
        "industry": industry.pk,
        "tags": [tag.pk],
        "attr_segment": "kkv",
    }
    _edit(client, partner, **edited, **SITE)
    # saved again with only the name changed: the tag, the site and the rest are not named again
    # (without the address rows: they stay as they are)
    _edit(client, partner, **edited | {"name": "Új Zrt."})
    owner = str(org.owner)
    assert owner == "Tulaj Olga"
    created = timezone.localtime(Partner.objects.get().created_at)

    hungarian = _history_text(client.get(_history_url(partner), HTTP_ACCEPT_LANGUAGE="hu"))
    for shown in (
        "Ágazat: – → 62.01 Számítógépes programozás",
        "Megye: – → Budapest",
        "Telefonszámok: – → +36 30 123 4567, +36 1 234 5678",
        "Szegmens: – → KKV",
        "Címkék: +Kiemelt",
        "Telephely: +4024 Debrecen, Piac utca 12.",
        "Név: Alföld-Gépészeti Kft. → Új Zrt.",
        f"Létrehozta: {owner}",
        "Létrehozva: " + created.strftime("%Y. %m. %d. %H:%M"),
    ):
        assert shown in hungarian, (shown, hungarian)

    for once in ("Címkék:", "Telephely:", "Megye:", "Ágazat:", "Szegmens:", "Telefonszámok:"):
        assert hungarian.count(once) == 1, (once, hungarian)
    assert f"Ágazat: – → {industry.pk}" not in hungarian
    assert f"Létrehozta: {org.owner.pk}" not in hungarian
    assert not re.search(r"[\[\]{}]|\d{4}-\d\d-\d\dT", hungarian), hungarian
    assert "Version" not in hungarian and "Verzió" not in hungarian

    english = _history_text(client.get(_history_url(partner), HTTP_ACCEPT_LANGUAGE="en"))
    for shown in (
        "Industry: – → 62.01 Computer programming",
        "County: – → Budapest",
        "Segment: – → SME",
        "Tags: +Kiemelt",
        "Site: +4024 Debrecen, Piac utca 12.",
        f"Created by: {owner}",
        "Created: " + created.strftime("%Y-%m-%d %H:%M"),
    ):
        assert shown in english, (shown, english)

    # taking the tag and the site away is recorded too, by whom
    no_rows = {"addr-TOTAL_FORMS": "0", "addr-INITIAL_FORMS": "0"}
    _edit(client, partner, **edited | no_rows | {"tags": [], "name": "Új Zrt."})
    hungarian = _history_text(client.get(_history_url(partner), HTTP_ACCEPT_LANGUAGE="hu"))
    assert "Címkék: −Kiemelt" in hungarian
    assert "Telephely: −4024 Debrecen, Piac utca 12." in hungarian
    assert hungarian.count(owner) >= 4  # the creation, three edits (and the owner row)


def test_a_contacts_history_names_its_partner_and_joins_lists(client, org):
    partner = make_partner(org.owner, name="Kapcsolatos Kft.")
    make_contact(partner, phones=["+36 30 111 2222", "+36 1 333 4444"], emails=["a@example.hu"])
    contact = partner.contacts.get()
    client.force_login(org.owner)
    url = reverse("partners:contact-detail", args=[contact.pk])
    hungarian = _history_text(client.get(url, HTTP_ACCEPT_LANGUAGE="hu"))
    assert "Partner: Kapcsolatos Kft." in hungarian
    assert "Telefonszámok: +36 30 111 2222, +36 1 333 4444" in hungarian
    assert "Kívánt nyelv: magyar" in hungarian
    assert f"Partner: {partner.pk}" not in hungarian and "[" not in hungarian
    english = _history_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Partner: Kapcsolatos Kft." in english and "Phones: +36 30 111 2222" in english


def test_html_in_stored_values_is_shown_as_text(client, org):
    partner = make_partner(org.owner, name="<b>x</b>")
    tag = Tag.objects.create(name="<i>címke</i>")
    client.force_login(org.owner)
    _edit(client, partner, name="<script>alert(1)</script>", tags=[tag.pk])
    page = client.get(_history_url(partner)).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "+&lt;i&gt;címke&lt;/i&gt;" in page and "<i>címke</i>" not in page


def test_the_history_tab_is_not_shown_to_whom_the_partner_is_not(client, org):
    partner = make_partner(org.owner)
    outcome = check_access(client, org, _history_url(partner), allowed=SEES)
    assert outcome["peer"] == 404 and outcome["outsider"] == 404


def _count_queries(client, url) -> int:
    """Queries of the page in the steady state (after the cached lists are filled)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_history_tab_issues_the_same_queries_for_1_and_20_events(client, org):
    make_segment_attribute()
    industries = [
        Industry.objects.create(code=f"{n:02d}.00", name_hu=f"Ágazat {n}") for n in range(21)
    ]
    tags = [Tag.objects.create(name=f"Címke {n}") for n in range(21)]
    partner = partner_create(
        user=org.owner,
        partner=Partner(name="Egy Kft.", industry=industries[0], attributes={"segment": "kkv"}),
        tags=[tags[0]],
        addresses=[{"kind": "site", "postcode": "6000", "city": "Kecskemét", "street": "Fő u. 1."}],
    )
    client.force_login(org.supervisor)
    url = _history_url(partner)
    one = _count_queries(client, url)
    people = [org.owner, org.supervisor, org.boss, org.second_supervisor]
    for n in range(1, 20):
        with pghistory.context(user=people[n % len(people)].pk):
            partner.refresh_from_db()
            partner.industry = industries[n]
            partner.created_by = people[n % len(people)]
            partner.attributes = {"segment": "nagy" if n % 2 else "kkv"}
            partner.save()
            partner.tags.add(tags[n])
            PartnerAddress.objects.create(
                partner=partner, kind="site", postcode="6000", city="Kecskemét", street=f"{n}."
            )
    page = _history_text(client.get(url))
    assert page.count("Ágazat:") == 20 and "19.00 Ágazat 19" in page and "+Címke 19" in page
    assert _count_queries(client, url) == one


def test_owners_of_another_own_company_stay_out_of_the_history(client, org):
    """Owners are per own company: a rep of the second company who takes the partner on shows
    in that company's history, not in the first company's (as the page's header)."""
    from partners.models import PartnerOwner
    from tests.access import member
    from tests.factories import UserFactory

    partner = make_partner(org.owner, name="Közös Kft.")
    rep = member(
        UserFactory(username="masik_rep", last_name="Másik", first_name="Rita"),
        org.other_company,
        "sales_rep",
    )
    PartnerOwner.objects.create(partner=partner, company=org.other_company, user=rep)
    client.force_login(org.owner)
    first = _history_text(client.get(_history_url(partner), HTTP_ACCEPT_LANGUAGE="hu"))
    assert str(org.owner) in first and "Másik Rita" not in first
    client.force_login(rep)
    second = _history_text(client.get(_history_url(partner), HTTP_ACCEPT_LANGUAGE="hu"))
    assert "Másik Rita" in second and f"{org.owner} (" not in second
