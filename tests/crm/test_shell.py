"""The UI shell: menu registry, home panels, language switch, security headers, formats."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, translation

from crm.menu import MenuItem, menu
from crm.panels import Panel, panels

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_menu_entry():
    item = MenuItem(
        key="test-admin",
        label="Beállítások",
        url_name="admin:index",
        icon="gear",
        order=5,
        permission="crm.view_workerheartbeat",
    )
    menu.register(item)
    yield item
    menu.unregister(item.key)


def test_an_apps_menu_entry_appears_for_a_user_with_its_permission(
    logged_in_client, user, admin_menu_entry
):
    assert "Beállítások" not in logged_in_client.get("/").content.decode()
    user.user_permissions.add(Permission.objects.get(codename="view_workerheartbeat"))
    html = logged_in_client.get("/").content.decode()
    assert 'href="/admin/"' in html and "Beállítások" in html


def test_a_menu_entry_with_another_definition_under_the_same_key_is_refused(admin_menu_entry):
    with pytest.raises(ValueError, match="registered twice"):
        menu.register(MenuItem(key="test-admin", label="Más", url_name="home"))


def test_menu_entries_are_ordered_and_the_current_one_is_marked(user, admin_menu_entry):
    menu.register(MenuItem(key="test-first", label="Első", url_name="home", order=1))
    try:
        user.is_superuser = True
        entries = menu.for_user(user, "/admin/")
        keys = [e["item"].key for e in entries]
        assert keys.index("test-first") < keys.index("test-admin")
        assert [e["active"] for e in entries if e["item"].key == "test-admin"] == [True]
    finally:
        menu.unregister("test-first")


def test_an_apps_panel_appears_on_the_home_page(logged_in_client):
    panel = Panel(
        key="test-panel",
        title="Próba panel",
        template="crm/panels/today.html",
        context=lambda request: {"today": datetime.date(2026, 12, 24)},
        order=50,
    )
    panels.register(panel)
    try:
        html = logged_in_client.get("/").content.decode()
    finally:
        panels.unregister(panel.key)
    assert "Próba panel" in html
    assert "2026. 12. 24." in html


def test_the_home_page_shows_today_in_hungarian(logged_in_client):
    html = logged_in_client.get("/").content.decode()
    today = datetime.date.today()
    assert today.strftime("%Y. %m. %d.") in html
    assert "Következő munkanap" in html
    assert '<html lang="hu">' in html


def test_the_home_page_in_english(logged_in_client):
    logged_in_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = logged_in_client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "My day" in html and "Next working day" in html


def test_the_home_page_issues_a_constant_number_of_queries(logged_in_client):
    logged_in_client.get("/")
    with CaptureQueriesContext(connection) as first:
        logged_in_client.get("/")
    with CaptureQueriesContext(connection) as second:
        logged_in_client.get("/")
    assert len(first) == len(second) <= 6


def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_served_by_the_app_itself(client):
    for path in (
        "/static/vendor/bootstrap/css/bootstrap.min.css",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/bootstrap-icons/bootstrap-icons.min.css",
        "/static/crm/css/crm.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content)


def test_the_templates_fetch_nothing_from_outside():
    from tests.conftest import ROOT

    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "https://" not in text and "http://cdn" not in text, template


@pytest.mark.parametrize(
    ("language", "expected_date", "expected_number"),
    [("hu", "2026. 11. 22.", "1\xa0234\xa0567,5"), ("en", "22 Nov 2026", "1,234,567.5")],
)
def test_date_and_number_formats(language, expected_date, expected_number, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    with translation.override(language):
        assert formats.date_format(datetime.date(2026, 11, 22)) == expected_date
        assert formats.number_format(1234567.5, decimal_pos=1, use_l10n=True) == expected_number


def test_the_hungarian_date_is_accepted_in_forms():
    from django import forms

    class F(forms.Form):
        day = forms.DateField()

    with translation.override("hu"):
        form = F({"day": "2026. 11. 22."})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == datetime.date(2026, 11, 22)


def test_every_hungarian_message_is_translated():
    import polib

    from tests.conftest import ROOT

    catalogue = polib.pofile(str(ROOT / "locale" / "hu" / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in catalogue if not e.translated() and not e.obsolete]
    assert untranslated == []
