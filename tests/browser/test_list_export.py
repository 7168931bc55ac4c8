"""Issue 31 items 17 and 24: the partner list's export buttons download the filtered rows the
user sees (a Playwright download), and the list shows its count and a previous page."""

from openpyxl import load_workbook

from crm.demo import DEMO_PASSWORD

from .conftest import log_in, screenshot


def test_export_excel_button_downloads_the_filtered_partners_of_the_list(page, demo, tmp_path):
    from crm.models import User
    from partners.models import Partner

    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    user = User.objects.get(username="kovacs.anna")
    visible = Partner.objects.visible_to(user)
    county = visible.exclude(county="").values_list("county", flat=True).first()
    expected = set(visible.filter(county=county).values_list("name", flat=True))
    page.goto("/partners/")
    page.select_option("#id_county", county)  # HTMX redraws the rows and the buttons
    page.wait_for_url(f"**county={county}**")
    button = page.get_by_test_id("export-xlsx")
    assert f"county={county}" in button.get_attribute("href")
    shown = page.get_by_test_id("partners").locator("tbody tr td:first-child a").all_inner_texts()
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(saved)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Név"
    names = [r[0] for r in rows[1:]]
    assert set(names) == expected and len(names) == len(expected)
    assert names[: len(shown)] == shown  # the list's order
    for name, size in (("desktop", (1280, 900)), ("phone", (390, 844))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        screenshot(page, f"partner-list-export-{name}")


def test_the_partner_list_counts_its_partners_and_pages_back(page, demo, monkeypatch):
    import partners.views as views
    from crm.models import User
    from partners.models import Partner

    monkeypatch.setattr(views, "PAGE_SIZE", 5)  # the live server runs in this process
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    total = Partner.objects.visible_to(User.objects.get(username="kovacs.anna")).count()
    assert total > 5
    page.goto("/partners/")
    assert page.get_by_test_id("list-count").inner_text() == f"{total} partner"
    first = page.get_by_test_id("partners").locator("tbody tr td:first-child a").all_inner_texts()
    assert page.get_by_test_id("previous-page").count() == 0
    page.get_by_test_id("next-page").click()
    page.wait_for_url("**after=**")
    for name, size in (("desktop", (1280, 900)), ("phone", (390, 844))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        screenshot(page, f"partner-list-pages-{name}")
    page.get_by_test_id("previous-page").click()
    page.wait_for_url("**before=**")
    again = page.get_by_test_id("partners").locator("tbody tr td:first-child a").all_inner_texts()
    assert again == first
    assert page.get_by_test_id("previous-page").count() == 0
    page.goto("/partners/contacts/")
    assert page.get_by_test_id("list-count").inner_text().endswith("kapcsolattartó")
    assert page.get_by_test_id("export-csv").is_visible()
    for name, size in (("desktop", (1280, 900)), ("phone", (390, 844))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        screenshot(page, f"contact-list-pages-{name}")
