"""The duplicate warning of the partner form: companies compared by their names without the
legal form, the same tax number always; the "tick the box" error only when saving."""

from django.test import override_settings
from django.urls import reverse

from partners.services import duplicates_of, name_core

from .conftest import TAX_NUMBERS, make_partner

SIMILAR_NAME_ERROR = "Hasonló nevű partnerek már vannak"


def warned(client, name: str, tax_number: str = "") -> str:
    """The live duplicate warning of the create form, as the user sees it."""
    params = {"name": name, "tax_number": tax_number}
    page = client.get(reverse("partners:duplicates"), params).content.decode()
    return page if 'data-testid="duplicates"' in page else ""


SAME_COMPANY = [
    ("Mecsek Építő Zártkörűen Működő Részvénytársaság", "Mecsek Építő Zrt."),
    ("Példa Kereskedelmi Korlátolt Felelősségű Társaság", "Példa Kereskedelmi Kft."),
    ("Kovács és Társa Betéti Társaság", "Kovács és Társa Bt."),
    ("Szabó Péter egyéni vállalkozó", "Szabó Péter e.v."),
    ("Dél-Alföldi Tej Szövetkezet", "Dél-Alföldi Tej Szöv."),
]


def test_the_same_company_in_a_long_and_a_short_legal_form_is_found(client, org):
    client.force_login(org.owner)
    for long, short in SAME_COMPANY:
        for existing, typed in [(long, short), (short.upper(), long)]:
            partner = make_partner(org.peer, name=existing)
            assert existing in warned(client, typed), (existing, typed)
            partner.delete()


def test_companies_sharing_only_the_legal_form_are_not_similar(client, org):
    for name in [
        "Hajdúsági Pékáru Kereskedelmi Korlátolt Felelősségű Társaság",
        "Balaton-Élelmiszer Kereskedelmi Korlátolt Felelősségű Társaság",
        "Balaton-Élelmiszer Nagykereskedelmi Korlátolt Felelősségű Társaság",
        "Alföld-Építőanyag Korlátolt Felelősségű Társaság",
        "Tisza Kereskedelmi és Szolgáltató Zártkörűen Működő Részvénytársaság",
    ]:
        make_partner(org.peer, name=name)
    real = make_partner(org.peer, name="Példa Kereskedelmi és Szolgáltató Kft.")
    client.force_login(org.owner)
    # the name as the company register gives it
    page = warned(client, "Példa Kereskedelmi Korlátolt Felelősségű Társaság", TAX_NUMBERS[0])
    assert real.name in page
    for word in ("Hajdúsági", "Balaton", "Alföld", "Tisza"):
        assert word not in page


def test_the_same_tax_number_is_always_shown_first(client, org):
    # five near-namesakes would push a differently named one off a list ranked by name alone
    for form in ["Bt.", "Zrt.", "Kkt.", "Nyrt.", "Szövetkezet"]:
        make_partner(org.peer, name=f"Példa Kereskedelmi {form}")
    make_partner(org.peer, name="Egészen Más Név Kft.", tax_number=TAX_NUMBERS[0])
    found = duplicates_of(name="Példa Kereskedelmi Kft.", tax_number=TAX_NUMBERS[0])
    assert len(found) == 5
    assert found[0].name == "Egészen Más Név Kft."
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:create"),
        {"name": "Példa Kereskedelmi Kft.", "tax_number": TAX_NUMBERS[0]},
    )
    assert "Ezzel az adószámmal már van partner." in response.content.decode()


def test_name_core_leaves_out_the_legal_form_and_the_generic_words():
    assert name_core("Példa Kereskedelmi Kft.") == "pelda"
    assert name_core("Példa Kereskedelmi Korlátolt Felelősségű Társaság") == "pelda"
    assert name_core("Hajdúsági Pékáru Kft.") == "hajdusagi pekaru"
    assert name_core("Nonprofit Kft.") == ""
    assert name_core("Kereskedelmi és Szolgáltató Bt.") == "kereskedelmi es szolgaltato"


def test_fill_from_registry_lists_similar_names_without_the_save_error(client, org):
    make_partner(org.peer, name="Példa Kereskedelmi Korlátolt Felelősségű Társaság")
    client.force_login(org.owner)
    typed = {"name": "Példa Kereskedelmi Kft.", "tax_number": TAX_NUMBERS[1], "city": "Pécs"}
    # The button posts the form with its own marker (no registry answers here: the form is
    # re-rendered as typed, with the reason above it).
    with override_settings(COMPANY_INFO_URL="http://127.0.0.1:9"):
        button = client.get(reverse("partners:create")).content.decode()
        assert """hx-vals='{"registry_fill": "1"}'""" in button
        response = client.post(
            reverse("partners:registry-fill"),
            {**typed, "registry_fill": "1"},
            HTTP_HX_REQUEST="true",
        )
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="duplicates"' in page
    assert "Példa Kereskedelmi Korlátolt Felelősségű Társaság" in page
    assert SIMILAR_NAME_ERROR not in page and 'data-testid="form-errors"' not in page
    # Saving is when the box must be ticked.
    saved = client.post(reverse("partners:create"), typed)
    assert saved.status_code == 200 and SIMILAR_NAME_ERROR in saved.content.decode()


def test_an_edit_that_keeps_the_name_warns_of_the_tax_number_only(client, org):
    partner = make_partner(org.owner, name="Példa Kereskedelmi Kft.")
    make_partner(org.peer, name="Példa Kereskedelmi Zrt.")
    make_partner(org.peer, name="Adószámos Kft.", tax_number=TAX_NUMBERS[2])
    client.force_login(org.owner)
    url = reverse("partners:edit", args=[partner.pk])
    # a bad e-mail keeps the form on the screen
    base = {"base_version": partner.version, "emails": "nem-email"}
    page = client.post(url, {**base, "name": "Példa Kereskedelmi Kft."}).content.decode()
    assert "nem érvényes e-mail" in page or "nem-email" in page
    assert 'data-testid="duplicates"' not in page
    renamed = client.post(url, {**base, "name": "Példa Kereskedelmi Bt."}).content.decode()
    assert 'data-testid="duplicates"' in renamed and "Példa Kereskedelmi Zrt." in renamed
    same_tax = client.post(
        url, {**base, "name": "Példa Kereskedelmi Kft.", "tax_number": TAX_NUMBERS[2]}
    ).content.decode()
    assert "Ezzel az adószámmal már van partner. Ez a(z) Adószámos Kft." in same_tax
    assert "Példa Kereskedelmi Zrt." not in same_tax


def test_a_legal_form_still_being_typed_is_left_out_too():
    from partners.services import name_core

    assert name_core("Hajdúsági Pékáru Korlátolt Felelősségű Társas") == "hajdusagi pekaru"
    assert name_core("Hajdúsági Pékáru Korlátolt Fel") == "hajdusagi pekaru"
    assert name_core("Hajdúsági Pékáru Zr") == "hajdusagi pekaru"
    assert name_core("Zrínyi") == "zrinyi"  # a name alone is never taken for a legal form


def test_save_anyway_with_a_duplicate_tax_number_names_the_company_not_the_database_rule(
    client, org
):
    """'Save it anyway' cannot save a second partner with a tax number: the user is told which
    company has it, in Hungarian, and never Django's raw unique message."""
    existing = make_partner(org.peer, name="Adószámos Kft.", tax_number=TAX_NUMBERS[2])
    client.force_login(org.owner)
    typed = {
        "name": "Egészen Más Név Kft.",
        "tax_number": TAX_NUMBERS[2],
        "city": "Pécs",
        "confirm_duplicate": "on",
    }
    response = client.post(reverse("partners:create"), typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ezzel az adószámmal már van partner. Ez a(z) Adószámos Kft." in page
    assert "Már létezik" not in page and "already exists" not in page
    assert 'value="Egészen Más Név Kft."' in page, "what the user typed is kept"
    assert existing.__class__.objects.filter(tax_number=TAX_NUMBERS[2]).count() == 1


def test_a_duplicate_registration_number_is_warned_and_can_be_saved_anyway(client, org):
    make_partner(org.peer, name="Cégjegyzékes Kft.", registration_number="02-09-123456")
    client.force_login(org.owner)
    typed = {"name": "Teljesen Új Név Bt.", "registration_number": "02-09-123456", "city": "Pécs"}
    warned_page = client.post(reverse("partners:create"), typed).content.decode()
    assert "Cégjegyzékes Kft. már ezzel a cégjegyzékszámmal szerepel" in warned_page
    saved = client.post(reverse("partners:create"), {**typed, "confirm_duplicate": "on"})
    assert saved.status_code == 302
