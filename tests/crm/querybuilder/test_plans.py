"""The plans the engine writes for speed give the rows the plain ORM gives, for every persona:
"has a value among …" of a many-to-many field asked of its link table alone, and a screen
page of activities of partners "in Pest with a financial contact" (the benchmark's query),
read without parallel workers."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.models import Activity
from crm.querybuilder.engine import build
from partners.models import Contact, ContactRole, ContactType
from tests.crm.querybuilder.conftest import fresh, meeting
from tests.partners.conftest import TAX_NUMBERS, make_contact, make_partner

pytestmark = pytest.mark.django_db

PERSONAS = ("owner", "peer", "supervisor", "second_supervisor", "boss", "superuser")


@pytest.fixture
def more(org, data):
    """Beside ``data``: the peer's meeting at the owner's Pest partner (whose contacts the peer
    may not see), the peer's Pest partner whose contact is technical only, and a Pest partner
    whose financial contact was erased."""
    now = timezone.now()
    technical = ContactType.objects.create(name_hu="Műszaki", name_en="Technical")
    peers_pest = make_partner(
        org.peer, "Ceglédi Kő Kft.", city="Cegléd", county="PE", tax_number=TAX_NUMBERS[3]
    )
    erased = make_partner(
        org.owner, "Váci Üveg Kft.", city="Vác", county="PE", tax_number=TAX_NUMBERS[4]
    )
    csaba = make_contact(peers_pest, "Tóth", "Csaba")
    ContactRole.objects.create(contact=csaba, type=technical, partner=peers_pest)
    gone = make_contact(erased, "Régi", "Rita", erased_at=now)
    ContactRole.objects.create(contact=gone, type=data["financial"], partner=erased)
    meeting(org.peer, data["pest2"], starts_at=now - datetime.timedelta(hours=1))
    meeting(org.peer, peers_pest, starts_at=now - datetime.timedelta(hours=4))
    meeting(org.owner, erased, starts_at=now - datetime.timedelta(hours=5))
    meeting(org.owner, data["pest"], starts_at=now - datetime.timedelta(days=1))
    return {"technical": technical}


def pest_with_financial(financial_pk: int) -> dict:
    return {
        "base": "activities",
        "columns": ["starts_at", "subject", "partner.name"],
        "filter": {
            "items": [
                {"field": "partner.county", "op": "equals", "value": "PE"},
                {
                    "relation": "partner.contacts",
                    "filter": {
                        "items": [{"field": "types", "op": "equals", "value": financial_pk}]
                    },
                },
            ]
        },
        "sort": [{"field": "starts_at", "desc": True}],
    }


def users(org):
    return [fresh(getattr(org, name)) for name in PERSONAS]


def test_a_page_of_activities_of_pest_partners_with_a_financial_contact(org, data, more):
    spec = pest_with_financial(data["financial"].pk)
    seen = {}
    for user in users(org):
        contacts = Contact.objects.visible_to(user).filter(
            erased_at__isnull=True, types=data["financial"]
        )
        expected = list(
            Activity.objects.visible_to(user)
            .filter(partner__county="PE", partner__in=contacts.values("partner"))
            .order_by("-starts_at", "-pk")
            .values_list("subject", "partner__name")
        )
        rows = [(row[1], row[2]) for row in build(spec, user).page().rows]
        assert rows == expected, user.username
        seen[user.username] = {name for _subject, name in rows}
    # what the data were made for: a contact one may not see, an erased one, a technical one
    assert seen["owner"] == {"Pesti Gép Kft."}  # Gödöllő's is the peer's meeting
    assert seen["peer"] == set()  # the owner's contacts are not the peer's to see
    assert seen["supervisor"] == {"Pesti Gép Kft.", "Gödöllői Fa Bt."}


def test_the_pages_keys_are_read_without_parallel_workers(org, data, more):
    built = build(pest_with_financial(data["financial"].pk), fresh(org.supervisor))
    with CaptureQueriesContext(connection) as captured:
        built.page()
    settings_at = [i for i, q in enumerate(captured) if "max_parallel_workers" in q["sql"]]
    keys_at = [i for i, q in enumerate(captured) if "LIMIT 51" in q["sql"]]
    assert settings_at and keys_at and settings_at[0] < keys_at[0]


@pytest.mark.parametrize(
    ("op", "chosen"),
    [
        ("equals", ["financial"]),
        ("not_equals", ["financial"]),
        ("in", ["financial", "technical"]),
        ("not_in", ["technical"]),
        ("empty", []),
        ("not_empty", []),
    ],
)
def test_many_values_are_asked_of_their_link_table_with_the_orms_rows(org, data, more, op, chosen):
    types = {"financial": data["financial"], "technical": more["technical"]}
    values = [types[name].pk for name in chosen]
    item = {"field": "types", "op": op}
    if op in ("equals", "not_equals"):
        item["value"] = values[0]
    elif values:
        item["value"] = values
    spec = {"base": "contacts", "columns": ["family_name"], "filter": {"items": [item]}}
    for user in users(org):
        scoped = Contact.objects.visible_to(user).filter(erased_at__isnull=True)
        having = scoped.filter(types__in=values) if values else scoped.filter(types__isnull=False)
        expected = set(having.values_list("pk", flat=True))
        if op in ("not_equals", "not_in", "empty"):
            expected = set(scoped.values_list("pk", flat=True)) - expected
        got = set(build(spec, user).filtered.values_list("pk", flat=True))
        assert got == expected, (user.username, op)
    sql = str(build(spec, fresh(org.supervisor)).filtered.query)
    assert '"partners_contactrole"' in sql
    assert 'JOIN "partners_contactrole"' not in sql  # not the contact joined to it again


def test_the_result_cells_are_escaped_localised_and_dashed_when_empty():
    from django.template.loader import render_to_string
    from django.utils import translation

    from crm.querybuilder.results import Column

    moment = timezone.make_aware(datetime.datetime(2026, 11, 22, 9, 30))
    row = [("<b>Kft.</b>", "text"), (None, "date"), (moment, "datetime"), (1234567, "number")]
    with translation.override("hu"):
        html = render_to_string(
            "querybuilder/partials/result.html",
            {"mode": "run", "columns": [Column("c", "C", "text")], "rows": [row]},
        )
    assert '<td class="qb-type-text">&lt;b&gt;Kft.&lt;/b&gt;</td>' in html
    assert '<td class="qb-type-date"><span class="text-body-secondary">–</span></td>' in html
    assert "2026. 11. 22." in html
    assert "<b>" not in html
