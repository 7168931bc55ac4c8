"""Partners in the browser, with the demo data: the list and its filters, the global search
box, the partner page's tabs, quick-add of a contact, and the phone layout."""

from crm.demo import DEMO_PASSWORD
from partners.models import Contact, Partner

from .conftest import log_in, open_menu, screenshot


def test_a_rep_finds_and_opens_their_partner(page, demo):
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    open_menu(page, "Partnerek")
    page.wait_for_url("**/partners/")
    rows = page.get_by_test_id("partners").locator("tbody tr")
    mine = Partner.objects.filter(owners__user__username="kovacs.anna").distinct().count()
    assert rows.count() == mine > 0
    screenshot(page, "partner-list")
    first_name = rows.first.locator("a").first.inner_text()
    page.locator("#id_q").press_sequentially(first_name[:6])
    page.wait_for_url("**/partners/?*q=*")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=partners] tbody tr').length < n", arg=mine
    )
    # The global search answers as one types.
    box = page.get_by_test_id("global-search").locator("input")
    box.fill(first_name[:5])
    results = page.get_by_test_id("search-results")
    results.wait_for()
    screenshot(page, "global-search")
    results.get_by_text(first_name).first.click()
    page.wait_for_url("**/partners/*/")
    assert page.get_by_test_id("partner-name").inner_text() == first_name
    screenshot(page, "partner-page")
    page.locator("[data-tab=contacts]").click()
    page.get_by_test_id("tab-contacts").wait_for()
    assert "tab=contacts" in page.url
    form = page.get_by_test_id("quick-contact-form")
    form.locator("[name=quick-family_name]").fill("Böszörményi")
    form.locator("[name=quick-given_name]").fill("Kálmán")
    form.locator("[name=quick-emails]").fill("boszormenyi.kalman@example.hu")
    form.locator("button[type=submit]").click()
    page.get_by_text("Böszörményi Kálmán").wait_for()
    assert Contact.objects.filter(family_name="Böszörményi").exists()
    screenshot(page, "partner-contacts")
    page.locator("[data-tab=history]").click()
    page.get_by_test_id("tab-history").wait_for()
    # The contact list, with columns of the rep's choosing.
    open_menu(page, "Kapcsolattartók")
    page.wait_for_url("**/partners/contacts/")
    page.get_by_test_id("columns-button").click()
    chooser = page.get_by_test_id("columns-form")
    chooser.get_by_label("Beosztás").uncheck()
    chooser.get_by_label("Település").check()
    chooser.locator("button[type=submit]").click()
    page.wait_for_url("**/partners/contacts/")
    header = page.get_by_test_id("contacts").locator("thead")
    assert "Település" in header.inner_text() and "Beosztás" not in header.inner_text()
    assert page.get_by_text("Böszörményi Kálmán").count() == 1
    screenshot(page, "contact-list")
    assert page.console_errors == []


def test_the_new_partner_form_warns_of_duplicates_and_works_on_a_phone(browser, live_server, demo):
    context = browser.new_context(
        base_url=live_server.url, locale="hu-HU", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    errors = []
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/partners/new/")
    existing = Partner.objects.order_by("pk").first()
    page.fill("#id_name", existing.name[:-3])
    page.locator("#id_name").blur()
    page.get_by_test_id("duplicates").wait_for()
    screenshot(page, "partner-new-phone")
    page.goto("/partners/")
    screenshot(page, "partner-list-phone")
    assert errors == []
    context.close()


def test_fill_from_registry_in_the_browser(page, demo, settings):
    import threading

    from crm.integrations.companyinfo_fake import make_server

    server = make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.COMPANY_INFO_URL = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        log_in(page, "kovacs.anna", DEMO_PASSWORD)
        page.wait_for_url("**/")
        page.goto("/partners/new/")
        page.fill("#id_tax_number", "25730199-2-03")
        page.get_by_test_id("registry-fill").click()
        page.get_by_test_id("registry-filled").wait_for()
        assert page.input_value("#id_city") == "Kecskemét"
        assert page.input_value("#id_name").startswith("Hírös Fuvar")
        assert page.input_value("#id_fin-0-year") == "2025"  # the registry's years, to check
        screenshot(page, "partner-new-filled")
        page.fill("#id_tax_number", "11111111-2-41")
        page.get_by_test_id("registry-fill").click()
        page.get_by_test_id("registry-error").wait_for()
        assert page.input_value("#id_city") == "Kecskemét"  # the form stays as it was
        page.fill("#id_tax_number", "25730199-2-03")
        page.get_by_test_id("save").click()
        page.wait_for_url("**/partners/*/")
        assert page.get_by_test_id("financials").is_visible()
        screenshot(page, "partner-from-registry")
    finally:
        server.shutdown()
        server.server_close()


def test_import_a_csv_in_the_browser(page, demo, tmp_path, settings):
    from crm.celery import app as celery_app

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PARTNERS_IMPORT_WRITERS = 1
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    source = tmp_path / "partnerek.csv"
    source.write_text(
        "Név;Adószám;Irányítószám;Település\n"
        "Kőrösi Gépház Kft.;24058715-2-19;6720;Szeged\n"
        "Hibás Adószám Kft.;12345678-1-12;1117;Budapest\n"
        '=HYPERLINK("http://x");;4024;Debrecen\n',
        encoding="utf-8-sig",
    )
    try:
        log_in(page, "kovacs.anna", DEMO_PASSWORD)
        page.wait_for_url("**/")
        page.goto("/partners/")
        page.get_by_test_id("import").click()
        page.get_by_test_id("upload-form").locator("input[type=file]").set_input_files(str(source))
        page.get_by_test_id("upload-form").locator("button[type=submit]").click()
        page.get_by_test_id("preview").wait_for()
        assert "12345678-1-12" in page.get_by_test_id("row-errors").inner_text()
        screenshot(page, "import-preview")
        page.get_by_test_id("start").click()
        page.get_by_test_id("result-link").click()
        page.wait_for_url("**/result/")
        screenshot(page, "import-result")
        assert Partner.objects.filter(name="Kőrösi Gépház Kft.").exists()
        assert not Partner.objects.filter(tax_number="12345678-1-12").exists()
        assert page.console_errors == []
    finally:
        celery_app.conf.task_always_eager = eager
