"""Issue 31, item 16 in the browser, with the demo data: the partner's owner types "balaton
élelmiszer" into the top bar's search box (the name is "Balaton-Élelmiszer Korlátolt
Felelősségű Társaság", its short name "Balaton-Élelmiszer Kft.") and opens it from the answers;
the partner list's name filter finds it the same way; on a desktop and on a phone."""

from activities.discipline import must_close_first
from crm.demo import DEMO_PASSWORD
from crm.models import User
from partners.models import Partner

from .conftest import SIZES, log_in, screenshot, sized_page


def test_balaton_elelmiszer_typed_in_the_top_bar_finds_the_partner(browser, live_server, demo):
    partner = Partner.objects.get(short_name="Balaton-Élelmiszer Kft.")
    assert partner.name == "Balaton-Élelmiszer Korlátolt Felelősségű Társaság"
    # Its owner, or the first colleague who sees it, without overdue meetings to close first
    owners = [o.user for o in partner.owners.order_by("pk")]
    viewer = next(
        u
        for u in [*owners, *User.objects.filter(is_active=True).order_by("username")]
        if Partner.objects.visible_to(u).filter(pk=partner.pk).exists() and not must_close_first(u)
    )
    for name, size in SIZES:
        page = sized_page(browser, live_server, size)
        errors = page.errors
        log_in(page, viewer.username, DEMO_PASSWORD)
        page.wait_for_url("**/")
        if name == "phone":  # the search box is in the collapsed menu
            page.locator(".navbar-toggler").click()
        box = page.get_by_test_id("global-search").locator("input")
        box.press_sequentially("balaton élelmiszer")
        results = page.locator("#global-search-results")
        results.get_by_text(partner.name).first.wait_for()
        screenshot(page, f"search-balaton-elelmiszer-{name}")
        results.get_by_text(partner.name).first.click()
        page.wait_for_url(f"**/partners/{partner.pk}/")
        assert page.get_by_test_id("partner-name").inner_text() == partner.name
        # The partner list's name filter: the words in another order, without accents.
        page.goto("/partners/")
        page.locator("#id_q").press_sequentially("elelmiszer BALATON")
        page.wait_for_url("**/partners/?*q=*")
        rows = page.get_by_test_id("partners").locator("tbody tr")
        page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=partners] tbody tr').length <= n",
            arg=1,
        )
        assert rows.count() == 1 and partner.name in rows.first.inner_text()
        screenshot(page, f"partner-list-balaton-elelmiszer-{name}")
        assert errors == []
        page.context.close()
