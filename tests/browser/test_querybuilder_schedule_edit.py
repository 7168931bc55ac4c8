"""A sales manager edits a scheduled report in the browser: a date typed wrong is refused
with the Hungarian message and keeps what was typed; fixed, it is saved (desktop and phone)."""

from tests.crm.querybuilder.conftest import org  # noqa: F401 - the persona fixture

from .conftest import SIZES, log_in, screenshot, sized_page

PASSWORD = "Titkos-jelszo-2026"

SPEC = {  # the county and the day it was recorded asked when run
    "base": "partners",
    "columns": ["name", "city", "created_at"],
    "filter": {
        "any": False,
        "items": [
            {"field": "county", "op": "equals", "value": "PE", "ask": True, "param": "megye"},
            {
                "field": "created_at",
                "op": "between",
                "value": ["2020-01-01", "2030-12-31"],
                "ask": True,
                "param": "felveve",
            },
        ],
    },
    "sort": [{"field": "name", "desc": False}],
}


def test_a_manager_edits_a_schedule_and_its_parameters(browser, live_server, org):  # noqa: F811
    from crm.querybuilder.models import SavedQuery, ScheduledReport
    from tests.crm.querybuilder.saved_fixtures import ensure_querybuilder_defaults

    ensure_querybuilder_defaults()
    manager = org.supervisor
    manager.set_password(PASSWORD)
    manager.save()
    query = SavedQuery.objects.create(
        name="Pest megyei partnerek", spec=SPEC, owner=manager, company=manager.current_company
    )
    for name, size in SIZES:
        schedule = ScheduledReport.objects.create(
            saved_query=query,
            company=manager.current_company,
            frequency="weekly",
            weekday=0,
            created_by=manager,
        )
        schedule.recipients.set([manager])
        page = sized_page(browser, live_server, size)
        log_in(page, manager.username, PASSWORD)
        page.wait_for_url("**/")
        page.goto(f"/reports/saved/{query.pk}/schedules/")
        page.get_by_test_id("schedule-edit").last.click()
        page.get_by_test_id("schedule-edit-form").wait_for()
        page.select_option("#id_frequency", "monthly")
        page.fill("#id_day_of_month", "5")
        page.get_by_test_id("param-felveve-from").fill("2026. 13. 01.")
        page.get_by_test_id("schedule-save").click()
        error = page.get_by_test_id("param-error-felveve")
        error.wait_for()
        assert "2026. 11. 22." in error.inner_text()
        assert page.get_by_test_id("param-felveve-from").input_value() == "2026. 13. 01."
        assert page.input_value("#id_day_of_month") == "5"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"querybuilder-schedule-edit-error-{name}")
        page.screenshot(path=f"/tmp/qperf-schedule-edit-error-{name}.png", full_page=True)
        page.get_by_test_id("param-felveve-from").fill("2026. 01. 01.")
        page.get_by_test_id("schedule-save").click()
        page.wait_for_url(f"**/reports/saved/{query.pk}/schedules/")
        schedule.refresh_from_db()
        assert (schedule.frequency, schedule.day_of_month) == ("monthly", 5)
        assert schedule.params["felveve"][0] == "2026. 01. 01."
        page.screenshot(path=f"/tmp/qperf-schedules-{name}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        table = page.get_by_test_id("schedules")
        assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
        assert not page.errors, page.errors
        page.context.close()
