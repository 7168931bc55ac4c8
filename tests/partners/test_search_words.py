"""Issue 31, item 16: a search of several words finds the names that have every word, in any
order, accents, case, hyphens and dots aside; "kft" finds the companies with "Kft." in their
name. The search box (both of its ways: the owners' index in memory and the indexes in SQL) and
the lists' name filter."""

import pytest
from django.db import connection
from django.urls import reverse

import partners.models
import partners.search_texts
from partners.models import Partner
from partners.search import WORD_START_SQL
from partners.search_texts import Texts, word_start

from .conftest import make_contact, make_partner

MINE = [
    ("Balaton-Élelmiszer Kereskedelmi Kft.", ""),
    ("Bakonyi Villamosipari Zrt.", ""),
    ("Tisza-Gépészeti Szolgáltató Kft.", ""),
    ("Mátra-Logisztikai Betéti Társaság", "Mátra-Logisztikai Bt."),
    ("Mátra-Fa Korlátolt Felelősségű Társaság", "Mátra-Fa Kft."),
    ("Balaton Vendéglátó Kft.", ""),
    ("Élelmiszer-Balatoni Zrt.", ""),
]
# The peer's: nobody but the peer and those above them may find it.
THEIRS = ("Balaton-Élelmiszer Nagyker Kft.", "")


@pytest.fixture(autouse=True)
def no_copies():
    partners.search_texts.clear()
    partners.models._scope_sizes.clear()
    yield
    partners.search_texts.clear()
    partners.models._scope_sizes.clear()


@pytest.fixture
def names(org):
    for name, short in MINE:
        partner = make_partner(org.owner, name=name, short_name=short)
        if name.startswith("Balaton-"):
            make_contact(partner, family_name="Kovács", given_name="Anna")
            make_contact(partner, family_name="Nagy-Kovács", given_name="Ádám")
    name, short = THEIRS
    make_contact(make_partner(org.peer, name=name, short_name=short), "Kovács", "Béla")


def box(client, text: str) -> tuple[list[str], list[str]]:
    response = client.get(reverse("search"), {"q": text}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return (
        [p.name for p in response.context["partners"]],
        [c.full_name for c in response.context["contacts"]],
    )


# (persona, OWNED_SEARCH_SCOPE): the owner through the owners' index in memory and through the
# indexes in SQL (scope 0); the superuser sees everything (SQL, a few candidates suffice).
WAYS = [("owner", 50_000), ("owner", 0), ("superuser", 50_000)]


@pytest.mark.parametrize(("persona", "owned_scope"), WAYS)
def test_search_box_finds_balaton_elelmiszer_bakony_villamos_tisza_gepeszeti_and_matra_bt(
    client, org, names, persona, owned_scope, monkeypatch
):
    monkeypatch.setattr(partners.models, "OWNED_SEARCH_SCOPE", owned_scope)
    client.force_login(org.users[persona])
    theirs = [THEIRS[0]] if persona == "superuser" else []

    def found(text):
        return box(client, text)[0]

    assert found("balaton élelmiszer") == sorted(
        ["Balaton-Élelmiszer Kereskedelmi Kft.", "Élelmiszer-Balatoni Zrt.", *theirs]
    )
    # in any order; the names that start with the first word first
    assert found("élelmiszer balaton") == [
        "Élelmiszer-Balatoni Zrt.",
        *sorted(["Balaton-Élelmiszer Kereskedelmi Kft.", *theirs]),
    ]
    assert found("bakony villamos") == ["Bakonyi Villamosipari Zrt."]
    assert found("tisza gépészeti") == ["Tisza-Gépészeti Szolgáltató Kft."]
    assert found("TISZA gepeszeti kft.") == ["Tisza-Gépészeti Szolgáltató Kft."]
    # "bt": the short name's "Bt."; "Mátra-Fa Kft." has no word that starts with it
    assert found("matra bt") == ["Mátra-Logisztikai Betéti Társaság"]
    assert found("bt matra") == ["Mátra-Logisztikai Betéti Társaság"]
    assert found("balaton élelmiszer zrt") == ["Élelmiszer-Balatoni Zrt."]
    assert found("balaton gépészeti") == []


@pytest.mark.parametrize(("persona", "owned_scope"), WAYS)
def test_kft_finds_the_companies_with_kft_in_their_name_as_kft_with_a_dot_does(
    client, org, names, persona, owned_scope, monkeypatch
):
    monkeypatch.setattr(partners.models, "OWNED_SEARCH_SCOPE", owned_scope)
    client.force_login(org.users[persona])
    with_kft = sorted(
        [
            "Balaton-Élelmiszer Kereskedelmi Kft.",
            "Balaton Vendéglátó Kft.",
            "Mátra-Fa Korlátolt Felelősségű Társaság",  # its short name: "Mátra-Fa Kft."
            "Tisza-Gépészeti Szolgáltató Kft.",
            *([THEIRS[0]] if persona == "superuser" else []),
        ]
    )
    assert box(client, "kft")[0] == with_kft
    assert box(client, "Kft.")[0] == with_kft
    assert box(client, "KFT")[0] == with_kft
    # three letters inside a word find nothing: "ela" is in "Balaton", starts no word
    assert box(client, "ela")[0] == []


@pytest.mark.parametrize(("persona", "owned_scope"), WAYS)
def test_search_box_finds_contacts_by_every_word_of_their_name_in_any_order(
    client, org, names, persona, owned_scope, monkeypatch
):
    monkeypatch.setattr(partners.models, "OWNED_SEARCH_SCOPE", owned_scope)
    client.force_login(org.users[persona])
    assert box(client, "anna kovács")[1] == ["Kovács Anna"]
    assert box(client, "kovacs anna")[1] == ["Kovács Anna"]
    assert box(client, "adam kovacs")[1] == ["Nagy-Kovács Ádám"]
    assert box(client, "kovacs nagy")[1] == ["Nagy-Kovács Ádám"]
    assert box(client, "kov ad")[1] == ["Nagy-Kovács Ádám"]  # the starts of the words


def test_search_box_shows_only_what_the_user_may_see_for_several_words(client, org, names):
    for persona, finds_theirs in [("owner", False), ("peer", True), ("supervisor", True)]:
        client.force_login(org.users[persona])
        partners_found, contacts = box(client, "balaton élelmiszer")
        assert (THEIRS[0] in partners_found) is finds_theirs, persona
        assert ("Balaton-Élelmiszer Kereskedelmi Kft." in partners_found) is (persona != "peer"), (
            persona
        )
    client.force_login(org.outsider)
    assert box(client, "balaton élelmiszer") == ([], [])


def list_names(client, url_name: str, **query) -> list[str]:
    response = client.get(reverse(url_name), query)
    assert response.status_code == 200
    rows = response.context["rows"]
    return [getattr(r, "name", None) or r.full_name for r in rows]


@pytest.mark.parametrize("persona", ["owner", "supervisor", "superuser"])
def test_partner_list_name_filter_finds_balaton_elelmiszer_matra_bt_and_kft(
    client, org, names, persona
):
    """The owner's list is restricted (their scope), the superuser's is the whole master."""
    client.force_login(org.users[persona])
    theirs = [THEIRS[0]] if persona != "owner" else []
    assert list_names(client, "partners:list", q="balaton élelmiszer") == sorted(
        ["Balaton-Élelmiszer Kereskedelmi Kft.", "Élelmiszer-Balatoni Zrt.", *theirs]
    )
    assert list_names(client, "partners:list", q="bakony villamos") == [
        "Bakonyi Villamosipari Zrt."
    ]
    assert list_names(client, "partners:list", q="tisza gépészeti") == [
        "Tisza-Gépészeti Szolgáltató Kft."
    ]
    assert list_names(client, "partners:list", q="matra bt") == [
        "Mátra-Logisztikai Betéti Társaság"
    ]
    kft = list_names(client, "partners:list", q="kft")
    assert kft == list_names(client, "partners:list", q="Kft.")
    assert kft == sorted(
        [
            "Balaton-Élelmiszer Kereskedelmi Kft.",
            "Balaton Vendéglátó Kft.",
            "Mátra-Fa Korlátolt Felelősségű Társaság",
            "Tisza-Gépészeti Szolgáltató Kft.",
            *theirs,
        ]
    )
    if persona == "superuser":  # no own company: no owner to filter by
        return
    # with the owner filter (a restricted list for everybody)
    assert list_names(
        client, "partners:list", q="élelmiszer balaton", owner=org.owner.pk
    ) == sorted(["Balaton-Élelmiszer Kereskedelmi Kft.", "Élelmiszer-Balatoni Zrt."])


def test_contact_list_name_filter_finds_every_word_in_any_order(client, org, names):
    client.force_login(org.owner)
    assert list_names(client, "partners:contacts", q="anna kovacs") == ["Kovács Anna"]
    assert list_names(client, "partners:contacts", q="kovács nagy") == ["Nagy-Kovács Ádám"]
    client.force_login(org.peer)  # the owner's contacts are not the peer's
    assert list_names(client, "partners:contacts", q="anna kovacs") == []


def test_a_word_starts_after_the_same_characters_in_memory_and_in_postgresql(db):
    """The worker's copies (Python) and the trigram index's statement (PostgreSQL) agree on
    where a word starts, for every ASCII character before it."""
    texts = ["bt", *(f"x{chr(c)}bt" for c in range(32, 127))]
    with connection.cursor() as cursor:
        cursor.execute("SELECT t, t ~ %s FROM unnest(%s::text[]) t", [WORD_START_SQL + "bt", texts])
        in_sql = dict(cursor.fetchall())
    in_python = {t: word_start("bt").search(t) is not None for t in texts}
    assert in_python == in_sql
    in_copies = {t: bool(Texts([(1, "abc"), (2, t)]).find("bt", word=True)) for t in texts}
    assert in_copies == in_sql
    assert in_python["x-bt"] and in_python["x.bt"] and in_python["x bt"]
    assert not in_python["xabt"] and not in_python["x1bt"]


def test_search_text_holds_the_short_name(org, names):
    """What "matra bt" relies on: the long form's short name is searched with its name."""
    partner = Partner.objects.get(name="Mátra-Logisztikai Betéti Társaság")
    assert "bt." in partner.search_text
