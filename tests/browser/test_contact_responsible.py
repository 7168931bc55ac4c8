"""A contact's responsible user in the browser, with the demo data: a rep makes a colleague of
another team responsible for one of her contacts on the contact form; the colleague then finds
that person in his contact list (filtered by responsible user), on a desktop and on a phone."""

from crm.demo import DEMO_PASSWORD
from partners.models import Contact, Partner

from .conftest import SIZES, log_in, screenshot, sized_page


def test_a_colleague_made_responsible_for_a_contact_finds_it_in_his_list(
    browser, live_server, demo
):
    contact = (
        Contact.objects.filter(partner__owners__user__username="kovacs.anna", erased_at=None)
        .order_by("pk")
        .first()
    )
    assert not Partner.objects.filter(
        pk=contact.partner_id, owners__user__username="varga.mate"
    ).exists()
    for name, size in SIZES:
        page = sized_page(browser, live_server, size)
        errors = page.errors
        log_in(page, "kovacs.anna", DEMO_PASSWORD)
        page.wait_for_url("**/")
        page.goto(f"/partners/contacts/{contact.pk}/edit/")
        form = page.get_by_test_id("contact-form")
        form.locator("#id_responsible").select_option(label="Varga Máté")
        screenshot(page, f"contact-form-responsible-{name}")
        form.get_by_test_id("save").click()
        page.wait_for_url(f"**/partners/contacts/{contact.pk}/")
        assert page.get_by_test_id("contact-responsible").inner_text() == "Varga Máté"
        page.context.clear_cookies()  # signed out: the colleague signs in
        log_in(page, "varga.mate", DEMO_PASSWORD)
        page.wait_for_url("**/")
        page.goto("/partners/contacts/")
        page.locator("#id_responsible").select_option(label="Varga Máté")
        page.wait_for_url("**/partners/contacts/?*responsible=*")
        rows = page.get_by_test_id("contacts").locator("tbody tr")
        rows.first.wait_for()
        assert contact.family_name in rows.first.inner_text()
        screenshot(page, f"contact-list-responsible-{name}")
        rows.first.locator("a").first.click()
        page.wait_for_url(f"**/partners/contacts/{contact.pk}/")
        screenshot(page, f"contact-page-responsible-{name}")
        assert errors == []
        page.context.close()
