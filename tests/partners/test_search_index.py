"""The owners' search index (partners.search_index): kept by triggers through every kind of
write, and the search box's answers from it are the access rule's answers."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

import partners.models
import partners.search_texts
from partners.models import Contact, Partner, PartnerOwner
from partners.search import normalise, search_box, search_contacts, search_partners
from partners.search_index import CONTACT, PARTNER
from partners.search_texts import Texts
from partners.services import contact_erase, partner_assign
from partners.tasks import prune_search_changes

from .conftest import make_contact, make_partner


@pytest.fixture(autouse=True)
def no_copies():
    """Each test starts without the worker's copies of the texts (partners.search_texts)."""
    partners.search_texts.clear()
    yield
    partners.search_texts.clear()


def entries() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT company_id, owner_id, kind, record_id, search_text FROM partners_searchentry"
        )
        return set(cursor.fetchall())


def expected() -> set[tuple]:
    """What the index must hold, from the records: each owner row's partner and contacts."""
    texts = dict(Partner.objects.values_list("pk", "search_text"))
    contacts = list(Contact.objects.values_list("pk", "partner_id", "search_text"))
    wanted = set()
    for company_id, user_id, partner_id in PartnerOwner.objects.values_list(
        "company_id", "user_id", "partner_id"
    ):
        wanted.add((company_id, user_id, PARTNER, partner_id, texts[partner_id]))
        wanted |= {
            (company_id, user_id, CONTACT, pk, text)
            for pk, partner, text in contacts
            if partner == partner_id
        }
    return wanted


def test_the_index_follows_every_kind_of_write(org):
    owner, peer = org.users["owner"], org.users["peer"]
    first = make_partner(owner, name="Pannon Gép Kft.")
    second = make_partner(peer, name="Tisza Szerszám Bt.")
    elsewhere = make_partner(org.users["other_company_user"], name="Más Cég Zrt.")
    assert entries() == expected() and len(entries()) == 3

    anna = make_contact(first, family_name="Kovács", given_name="Anna", emails=["anna@pannon.hu"])
    Contact.objects.bulk_create(
        [
            Contact(
                partner=second, family_name="Nagy", given_name="Ádám", phones=["06 30 456 7890"]
            ),
            Contact(partner=elsewhere, family_name="Szabó", given_name="Éva"),
        ]
    )
    assert entries() == expected() and len(entries()) == 6

    anna.family_name = "Kovácsné"  # a rename through the model
    anna.save()
    Contact.objects.filter(partner=second).update(given_name="Ádámka")  # and in bulk
    Partner.objects.filter(pk=first.pk).update(short_name="PG")  # the partner's own text
    assert entries() == expected()
    assert (org.company.pk, owner.pk, CONTACT, anna.pk, "kovacsne anna anna@pannon.hu") in (
        entries()
    )

    anna.partner = second  # moved to another partner: to the other owner's range
    anna.save()
    assert entries() == expected()
    assert {e[1] for e in entries() if e[2] == CONTACT and e[3] == anna.pk} == {peer.pk}

    partner_assign(partner=second, company=org.company, users=[owner, peer], by=org.boss)
    assert entries() == expected()
    partner_assign(partner=second, company=org.company, users=[owner], by=org.boss)
    assert entries() == expected()
    assert not {e for e in entries() if e[1] == peer.pk}

    contact_erase(contact=anna, user=org.boss)  # GDPR: the name goes from the index too
    assert entries() == expected()
    assert not any("kovacs" in e[4] for e in entries())

    Contact.objects.filter(partner=elsewhere).delete()
    second.delete()  # the partner with its contacts and owner rows
    assert entries() == expected()
    assert {e[3] for e in entries() if e[2] == PARTNER} == {first.pk, elsewhere.pk}


def test_the_repair_command_rebuilds_the_index(org):
    partner = make_partner(org.users["owner"], name="Pannon Gép Kft.")
    make_contact(partner)
    wanted = expected()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE partners_searchentry SET search_text = 'stale'")
        cursor.execute(
            "INSERT INTO partners_searchentry VALUES (%s, %s, 1, %s, 'ghost')",
            [org.company.pk, org.users["peer"].pk, partner.pk],
        )
    call_command("rebuild_partner_indexes", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert entries() == wanted


@pytest.fixture
def team(org):
    """Partners and contacts whose texts match "pannon" and "pan", owned across the team."""
    made = {}
    for user_key, names in {
        "owner": ["Pannon Gép Kft.", "Balatoni Pannon Kft.", "Dél-Pannónia Bt."],
        "peer": ["Pannonvíz Zrt.", "Panoráma Bt."],
        "supervisor": ["Felső-Pannon Kft."],
        "other_company_user": ["Pannon Másik Zrt."],
    }.items():
        for name in names:
            partner = make_partner(org.users[user_key], name=name)
            made[name] = partner
            make_contact(partner, family_name="Pannonhalmi", given_name=name.split()[0])
            make_contact(partner, family_name="Kiss", given_name="Pál", emails=["pan@x.hu"])
    # one partner with two owners: found once
    partner_assign(
        partner=made["Pannon Gép Kft."],
        company=org.company,
        users=[org.users["owner"], org.users["peer"]],
        by=org.boss,
    )
    return made


def rule(text: str):
    """The search rule, written out: every word of the text (letters and digits) is in the
    record's search text, from four characters on anywhere, a shorter one at a word's start;
    a text without a word of three characters matches the texts that start with it."""
    needle = normalise(text)
    words = re.findall(r"[a-z0-9]+", needle)

    def matches(row) -> bool:
        if max(map(len, words), default=0) < 3:
            return row.search_text.startswith(needle)
        return all(
            word in row.search_text
            if len(word) >= 4
            else re.search(r"(^|[^a-z0-9])" + word, row.search_text)
            for word in words
        )

    return matches


@pytest.mark.parametrize(
    "text",
    [
        "pannon",
        "pan",
        "kiss pal",
        "pál kiss",
        "pan@x",
        "kft",
        "pannon kft",
        "dél pannónia bt",
        "gep pannon",
        "b-z",
    ],
)
def test_answers_from_the_index_are_the_rules_for_every_persona(org, team, text, monkeypatch):
    matches = rule(text)

    for persona, user in org.users.items():
        user.refresh_from_db()
        rule_partners = {p.pk for p in Partner.objects.visible_to(user) if matches(p)}
        rule_contacts = {c.pk for c in Contact.objects.visible_to(user) if matches(c)}
        if not user.has_perm("partners.view_contact"):
            rule_contacts = set()
        for scope in (50_000, 0):  # the owners' index, and the other path
            monkeypatch.setattr(partners.models, "OWNED_SEARCH_SCOPE", scope)
            partners.models._scope_sizes.clear()
            found = search_partners(user, text, limit=100)
            assert {p.pk for p in found} == rule_partners, (persona, scope)
            assert len(found) == len(rule_partners), (persona, scope)  # each once
            contacts = search_contacts(user, text, limit=100)
            assert {c.pk for c in contacts} == rule_contacts, (persona, scope)
            assert all(c.partner.name for c in contacts)
    partners.models._scope_sizes.clear()


def test_the_first_answers_start_with_the_text(org, team):
    names = [p.name for p in search_partners(org.users["supervisor"], "pannon", limit=3)]
    assert names == ["Pannon Gép Kft.", "Pannonvíz Zrt.", "Balatoni Pannon Kft."]


def test_an_entry_the_rule_does_not_allow_is_not_shown(org, team):
    """The index only accelerates: a wrong entry (a bug, a hand-made row) shows nothing that
    the visibility rule does not allow."""
    hidden = team["Pannonvíz Zrt."]  # the peer's
    owner = org.users["owner"]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO partners_searchentry"
            " SELECT %s, %s, kind, record_id, search_text FROM partners_searchentry"
            " WHERE owner_id = %s AND (kind = 1 AND record_id = %s OR kind = 2 AND record_id IN"
            " (SELECT id FROM partners_contact WHERE partner_id = %s))",
            [org.company.pk, owner.pk, org.users["peer"].pk, hidden.pk, hidden.pk],
        )
    assert hidden.pk not in {p.pk for p in search_partners(owner, "pannonviz")}
    assert not {c.partner_id for c in search_contacts(owner, "pannonhalmi", limit=100)} & {
        hidden.pk
    }


def test_texts_find_what_contains_or_starts_with_the_text():
    texts = Texts([(1, "pannon gep kft"), (2, "balatoni pannon kft"), (3, ""), (4, "pannonia")])
    assert texts.find("pannon", starting=False) == [
        ("pannon gep kft", 1),
        ("balatoni pannon kft", 2),
        ("pannonia", 4),
    ]
    assert texts.find("pan", starting=True) == [("pannon gep kft", 1), ("pannonia", 4)]
    assert texts.find("kft", starting=False) == [("pannon gep kft", 1), ("balatoni pannon kft", 2)]
    assert texts.find("ia", starting=False) == [("pannonia", 4)]
    assert texts.find("kft pan", starting=False) == []  # never across two records
    assert Texts([]).find("pan", starting=True) == []


def test_texts_find_a_word_at_the_start_of_a_word():
    texts = Texts([(1, "matra-logisztikai bt."), (2, "pannon kft."), (3, "kftx"), (4, "akft")])
    assert texts.find("kft", word=True) == [("pannon kft.", 2), ("kftx", 3)]
    assert texts.find("logi", word=True) == [("matra-logisztikai bt.", 1)]
    assert texts.find("bt", word=True) == [("matra-logisztikai bt.", 1)]
    assert texts.find("a", word=True) == [("akft", 4)]  # once, the start of the record
    assert Texts([]).find("kft", word=True) == []


def test_a_write_by_another_process_is_seen_on_the_next_search(org, team):
    owner, supervisor = org.users["owner"], org.users["supervisor"]
    assert [p.name for p in search_partners(owner, "pannon gep")] == ["Pannon Gép Kft."]
    # Written in SQL, as another worker or a task would: no signal reaches this process.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE partners_partner SET name = 'Pannon Gépház Kft.' WHERE id = %s",
            [team["Pannon Gép Kft."].pk],
        )
        cursor.execute(
            "DELETE FROM partners_partnerowner WHERE partner_id = %s AND user_id = %s",
            [team["Dél-Pannónia Bt."].pk, owner.pk],
        )
    assert [p.name for p in search_partners(owner, "gephaz")] == ["Pannon Gépház Kft."]
    assert "Dél-Pannónia Bt." not in {p.name for p in search_partners(owner, "pannon")}
    with connection.cursor() as cursor:  # the peer's partner becomes the owner's as well
        cursor.execute(
            "INSERT INTO partners_partnerowner (partner_id, company_id, user_id, created_at,"
            " reason) VALUES (%s, %s, %s, now(), '')",
            [team["Panoráma Bt."].pk, org.company.pk, owner.pk],
        )
    assert [p.name for p in search_partners(owner, "panorama")] == ["Panoráma Bt."]
    # The supervisor's team includes the owner: the copy of the owner's texts is shared.
    search_partners(supervisor, "pannon")
    with CaptureQueriesContext(connection) as captured:
        partners_found, contacts = search_box(supervisor, "pannonhalmi")
    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) == 2  # the latest changes; the contacts (no partner matches)
    assert not any("partners_searchentry" in sql for sql in statements)  # nothing reloaded
    assert {c.given_name for c in contacts} >= {"Pannon", "Felső-Pannon"}


def test_pruning_keeps_each_owners_latest_change(org, team):
    def latest():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT company_id, owner_id, max(id), count(*) FROM partners_searchchange"
                " GROUP BY 1, 2"
            )
            return {row[:3]: row[3] for row in cursor.fetchall()}

    before = latest()
    assert max(before.values()) > 1
    assert prune_search_changes() > 0
    assert latest() == dict.fromkeys(before, 1)
