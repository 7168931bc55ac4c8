"""Issue 23: a large export of a query runs in the background; its page shows the progress,
polled by HTMX, and offers the file once it is written (screenshots at desktop and phone size)."""

from openpyxl import load_workbook

from .conftest import SIZES, log_in, screenshot


def test_the_export_page_polls_until_the_file_can_be_downloaded(page, tmp_path, settings):
    from crm.groups import ensure_default_groups
    from crm.querybuilder.exports import export_queue, export_run
    from crm.querybuilder.models import ExportState
    from tests.access import build_org
    from tests.partners.conftest import make_partner

    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_default_groups()
    org = build_org()
    for name in ("Alfa Kft.", "Béta Bt.", '=HYPERLINK("x") Zrt.'):
        make_partner(org.owner, name, tax_number=None)
    spec = {"base": "partners", "columns": ["name", "owner"], "sort": [{"field": "name"}]}
    record = export_queue(
        user=org.supervisor,
        spec=spec,
        params={},
        saved_query=None,
        fmt="xlsx",
        separator=";",
        language="hu",
    )
    log_in(page, "supervisor", "jelszo-Teszt-2026")
    page.wait_for_url("**/")
    page.goto(f"/reports/exports/{record.pk}/")
    progress = page.get_by_test_id("export-progress")
    assert "Várakozás" in progress.inner_text()
    assert page.get_by_test_id("export-download").count() == 0
    screenshot(page, "report-export-queued-desktop")
    export_run(record_id=record.pk, language="hu")  # what the worker does
    record.refresh_from_db()
    assert record.state == ExportState.DONE
    download_link = page.get_by_test_id("export-download")
    download_link.wait_for(timeout=10_000)  # the next poll brings the link
    assert "Kész: 3 sor." in page.get_by_test_id("export-progress").inner_text()
    for name, (width, height) in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"report-export-done-{name}")
    with page.expect_download() as info:
        download_link.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[0] == ("Név", "Felelős")
    assert sorted(r[0] for r in rows[1:]) == ['\'=HYPERLINK("x") Zrt.', "Alfa Kft.", "Béta Bt."]
