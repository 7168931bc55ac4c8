"""The CRM's icon, also where a page names none (the admin, downloaded files)."""

from django.conf import settings
from django.contrib.staticfiles import finders


def test_favicon_ico_leads_to_the_crm_icon(client, admin_client, db):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    assert answer["Location"] == settings.STATIC_URL + "crm/favicon.svg"
    assert finders.find("crm/favicon.svg"), "the icon itself is served"
    page = admin_client.get("/").content.decode()
    assert 'rel="icon"' in page and "crm/favicon.svg" in page
