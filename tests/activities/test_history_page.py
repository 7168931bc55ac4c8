"""The generic history page (any tracked record): values as people read them."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, ActivityType
from tests.access import check_access
from tests.partners.conftest import make_partner

pytestmark = pytest.mark.django_db

SEES = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}
YEAR = timezone.localdate().year + 1


def _text(response) -> str:
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('data-testid="history"') : page.index("</table>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", table))).replace(" :", ":")


def _activity(org) -> Activity:
    partner = make_partner(org.owner, name="Tiszai Gépészeti Kft.")
    start = timezone.make_aware(datetime.datetime(YEAR, 3, 10, 9, 30))
    activity = Activity(
        type=ActivityType.objects.get(code="call"),
        partner=partner,
        subject="Ajánlat egyeztetése",
        starts_at=start,
    )
    activity = services.activity_create(user=org.owner, activity=activity)
    activity.type = ActivityType.objects.get(code="meeting")
    activity.starts_at = start + datetime.timedelta(days=1, hours=1)
    activity.ends_at = activity.starts_at + datetime.timedelta(hours=1)
    activity.place = "Szeged, Kossuth u. 1."
    return services.activity_update(
        user=org.owner, activity=activity, expected_version=activity.version
    )


def test_the_activity_history_shows_labels_names_and_local_dates_not_raw_values(client, org):
    activity = _activity(org)
    client.force_login(org.owner)
    detail = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    url = reverse("record_history", args=["activities.Activity", activity.pk])
    assert f'href="{url}"' in detail, "the activity page links to its history"

    text = _text(client.get(url))
    # Field labels in Hungarian, the type by its name, times local in the Hungarian format.
    assert (
        "Tervezett kezdés: 2027. 03. 10. 09:30 → 2027. 03. 11. 10:30".replace("2027", str(YEAR))
        in text
    )
    assert "Típus: Hívás → Találkozó" in text or "Típus: Telefonhívás → Találkozó" in text, text
    assert "Tiszai Gépészeti Kft." in text
    assert "Szeged, Kossuth u. 1." in text
    # Nothing raw: no ISO times, no UTC offsets, no column names, no ids.
    assert not re.search(r"\d{4}-\d\d-\d\dT", text), text
    assert "+00:00" not in text and "_id" not in text and "partner_id" not in text
    assert "company" not in text and "owner:" not in text.lower()

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = _text(client.get(url))
    assert "Planned start" in english and "Type" in english


def test_the_history_page_of_an_activity_follows_its_visibility(client, org):
    activity = _activity(org)
    url = reverse("record_history", args=["activities.Activity", activity.pk])
    check_access(client, org, url, allowed=SEES)
