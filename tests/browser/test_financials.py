"""Balance-sheet figures typed on the partner form, in the browser (issue 22)."""

from crm.demo import DEMO_PASSWORD
from partners.models import Partner, PartnerFinancials

from .conftest import log_in, screenshot


def test_balance_sheet_figures_are_typed_on_the_partner_form(browser, live_server, demo):
    for name, viewport in (("desktop", (1280, 900)), ("phone", (390, 844))):
        context = browser.new_context(
            base_url=live_server.url,
            locale="hu-HU",
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        page = context.new_page()
        errors = []
        page.on("response", lambda r, e=errors: r.status >= 400 and e.append(f"{r.status} {r.url}"))
        log_in(page, "kovacs.anna", DEMO_PASSWORD)
        page.wait_for_url("**/")
        page.goto("/partners/new/")
        page.fill("#id_name", f"Mérlegképes {name} Kft.")
        page.fill("#id_fin-0-year", "2024")
        page.fill("#id_fin-0-revenue", "12,5 millió")
        page.fill("#id_fin-0-headcount", "12")
        page.get_by_test_id("save").click()
        page.get_by_text("Egész forintösszeget írjon, például 1 250 000.").wait_for()
        assert page.input_value("#id_name") == f"Mérlegképes {name} Kft."
        screenshot(page, f"partner-financials-error-{name}")
        page.fill("#id_fin-0-revenue", "1 250 000 000 Ft")
        page.fill("#id_fin-0-profit", "-3 400 000")
        page.get_by_test_id("save").click()
        page.wait_for_url("**/partners/*/")
        table = page.get_by_test_id("financials")
        assert "1\xa0250\xa0000\xa0000 Ft" in table.inner_text()
        screenshot(page, f"partner-financials-page-{name}")
        partner = Partner.objects.get(name=f"Mérlegképes {name} Kft.")
        assert list(
            PartnerFinancials.objects.filter(partner=partner).values_list(
                "year", "revenue", "profit", "headcount"
            )
        ) == [(2024, 1_250_000_000, -3_400_000, 12)]
        page.goto(f"/partners/{partner.pk}/edit/")
        page.get_by_test_id("financials-rows").scroll_into_view_if_needed()
        screenshot(page, f"partner-financials-form-{name}")
        assert errors == []
        context.close()
