"""The lists' "Columns" menu stays open while one ticks several columns."""

from crm.demo import DEMO_PASSWORD

from .conftest import log_in, screenshot


def test_the_columns_menu_stays_open_for_several_clicks_on_the_labels(page, demo):
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/partners/contacts/")
    page.get_by_test_id("columns-button").click()
    chooser = page.get_by_test_id("columns-form")
    # People click the words, not the little boxes: each click must leave the menu open.
    chooser.locator("label", has_text="Beosztás").click()
    assert chooser.is_visible(), "the menu closed after the first click"
    chooser.locator("label", has_text="Település").click()
    assert chooser.is_visible()
    screenshot(page, "columns-menu")
    chooser.locator("button[type=submit]").click()
    page.wait_for_url("**/partners/contacts/")
    header = page.get_by_test_id("contacts").locator("thead").inner_text()
    assert "Település" in header and "Beosztás" not in header
