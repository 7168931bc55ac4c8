"""Exports of a query's result: XLSX and CSV as Excel reads them, only the user's rows, small
results in the request, large ones in Celery with a progress page and a download for their
user only, every export audited, a bad query answered with its reason."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Observation
from crm.querybuilder.models import ExportRecord, ExportState
from partners.models import AttributeDefinition, AttributeKind, AttributeTarget
from tests.crm.querybuilder.conftest import fresh, meeting

pytestmark = pytest.mark.django_db

EXPORT = reverse("querybuilder:export")

ACTIVITIES = {
    "base": "activities",
    "columns": ["subject", "partner.name", "partner.county", "owner", "starts_at", "deadline"],
    "sort": [{"field": "subject"}],
}


def grant(user, codename: str = "export_data"):
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="crm", codename=codename)
    )


def post(client, user, spec=None, **fields):
    client.force_login(user)
    data = {"format": "xlsx", **fields}
    if spec is not None:
        data["spec"] = json.dumps(spec)
    return client.post(EXPORT, data)


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def sheet_of(response):
    assert response.status_code == 200, body(response)[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(body(response))).active


def csv_rows(response, separator=";"):
    assert response.status_code == 200, body(response)[:500]
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=separator))


@pytest.fixture
def hyperlink(org, data):
    """A meeting whose subject Excel would run as a formula."""
    return meeting(
        org.owner,
        data["pest2"],
        starts_at=datetime.datetime(2026, 11, 22, 13, 30, tzinfo=datetime.UTC),
        subject='=HYPERLINK("http://evil.example","katt")',
    )


def test_the_xlsx_has_typed_cells_a_frozen_header_and_a_filter(client, org, data, hyperlink):
    from activities.models import Activity

    Activity.objects.filter(pk=hyperlink.pk).update(deadline=datetime.date(2026, 11, 30))
    sheet = sheet_of(post(client, org.supervisor, ACTIVITIES))
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [
        "Tárgy",
        "Partner › Név",
        "Partner › Megye",
        "Intéző",
        "Tervezett kezdés",
        "Határidő",
    ]
    assert all(c.font.bold for c in rows[0])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:F{len(rows)}"
    assert len(rows) == 1 + 3  # the supervisor sees the three meetings
    formula = next(r for r in rows[1:] if "HYPERLINK" in r[0].value)
    # the formula is text, never run
    assert formula[0].value == '\'=HYPERLINK("http://evil.example","katt")'
    assert formula[0].data_type == "s"
    assert formula[1].value == "Gödöllői Fa Bt."
    assert formula[2].value == "Pest"  # a choice as its label
    assert formula[3].value == "Tulaj Olga"  # a user as their name
    # 13:30 UTC is 14:30 in Budapest; a date cell shown as a Hungarian date
    assert formula[4].value == datetime.datetime(2026, 11, 22, 14, 30)
    assert formula[4].number_format == "yyyy. mm. dd. hh:mm"
    assert formula[5].value == datetime.datetime(2026, 11, 30, 0, 0)
    assert formula[5].is_date and formula[5].number_format == "yyyy. mm. dd."


def test_money_is_a_number_in_forints_and_yes_no_is_text(client, org, data):
    vip = AttributeDefinition.objects.create(
        target=AttributeTarget.PARTNER,
        key="vip",
        label_hu="Kiemelt",
        label_en="Key account",
        kind=AttributeKind.BOOLEAN,
    )
    data["pest"].attributes = {vip.key: True}
    data["pest"].save(update_fields=["attributes"])
    data["pest2"].attributes = {vip.key: False}
    data["pest2"].save(update_fields=["attributes"])
    spec = {
        "base": "partners",
        "columns": ["name", "headcount", "attr_vip"],
        "filter": {"items": [{"field": "county", "op": "equals", "value": "PE"}]},
        "sort": [{"field": "name"}],
    }
    from partners.models import Partner

    Partner.objects.filter(pk=data["pest"].pk).update(headcount=1234)
    rows = list(sheet_of(post(client, org.supervisor, spec)).iter_rows(values_only=True))
    assert rows[1:] == [("Gödöllői Fa Bt.", None, "nem"), ("Pesti Gép Kft.", 1234, "igen")]

    visit = meeting(org.owner, data["pest"], starts_at=datetime.datetime.now(datetime.UTC))
    Observation.objects.create(
        activity=visit,
        kind="price",
        product="Fúrógép",
        competitor="Bosch",
        price=Decimal("1234567.50"),
    )
    spec = {"base": "observations", "columns": ["product", "price"]}
    sheet = sheet_of(post(client, org.supervisor, spec))
    row = list(sheet.iter_rows())[1]
    assert row[0].value == "Fúrógép"
    assert row[1].value == 1234567.5 and row[1].number_format == '#,##0 "Ft"'


def test_a_grouped_query_exports_its_groups_and_measures(client, org, data):
    spec = {
        "base": "partners",
        "group": {"by": [{"field": "owner"}], "measures": [{"fn": "count"}]},
    }
    rows = list(sheet_of(post(client, org.supervisor, spec)).iter_rows(values_only=True))
    assert sorted(rows[1:]) == [("Tulaj Olga", 2), ("Társ Péter", 1)]


def test_the_csv_has_a_bom_the_separator_and_hungarian_numbers(client, org, data, hyperlink):
    visit = meeting(org.owner, data["pest"], starts_at=datetime.datetime.now(datetime.UTC))
    Observation.objects.create(
        activity=visit, kind="price", product="Fúrógép", competitor="Bosch", price=Decimal("1234.5")
    )
    spec = {"base": "observations", "columns": ["product", "competitor", "price"]}
    rows = csv_rows(post(client, org.supervisor, spec, format="csv"))
    assert rows[1] == ["Fúrógép", "Bosch", "1234,50"]
    rows = csv_rows(post(client, org.supervisor, spec, format="csv", separator=","), ",")
    assert rows[1] == ["Fúrógép", "Bosch", "1234,50"]  # quoted, so the comma stays inside
    raw = body(post(client, org.supervisor, spec, format="csv", separator=","))
    assert b'"1234,50"\r\n' in raw

    rows = csv_rows(post(client, org.supervisor, ACTIVITIES, format="csv"))
    formula = next(r for r in rows if "HYPERLINK" in r[0])
    assert formula[0].startswith("'=")
    assert formula[4] == "2026. 11. 22. 14:30"


def test_a_reps_export_holds_only_their_rows_whoever_wrote_the_query(client, org, data):
    grant(org.owner)
    spec = {"base": "partners", "columns": ["name", "owner"], "sort": [{"field": "name"}]}
    rows = list(sheet_of(post(client, fresh(org.owner), spec)).iter_rows(values_only=True))
    assert rows[1:] == [("Gödöllői Fa Bt.", "Tulaj Olga"), ("Pesti Gép Kft.", "Tulaj Olga")]


def test_every_export_is_audited(client, org, data):
    spec = {"base": "partners", "columns": ["name"]}
    body(post(client, org.supervisor, spec, format="csv"))
    record = ExportRecord.objects.get()
    assert record.user == org.supervisor
    assert record.spec == spec and record.format == "csv"
    assert record.rows == 3 and record.state == ExportState.DONE
    assert record.company_id == org.company.pk and record.finished_at is not None


def test_a_saved_query_is_exported_by_its_id_with_asked_parameters(client, org, data):
    from crm.querybuilder.models import SavedQuery

    spec = {
        "base": "partners",
        "columns": ["name"],
        "filter": {
            "items": [{"field": "county", "op": "equals", "value": "CS", "ask": True, "param": "c"}]
        },
    }
    saved = SavedQuery.objects.create(
        owner=org.supervisor, company=org.company, name="Megyénként", spec=spec
    )
    response = post(client, org.supervisor, query=saved.pk, params=json.dumps({"c": "PE"}))
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''Megy%C3%A9nk")
    rows = list(sheet_of(response).iter_rows(values_only=True))
    assert sorted(rows[1:]) == [("Gödöllői Fa Bt.",), ("Pesti Gép Kft.",)]
    record = ExportRecord.objects.get()
    assert record.saved_query == saved and record.params == {"c": "PE"}
    # a field of its own per parameter works as well
    rows = list(
        sheet_of(post(client, org.supervisor, query=saved.pk, **{"param:c": "CS"})).iter_rows(
            values_only=True
        )
    )
    assert rows[1:] == [("Szegedi Szerszám Zrt.",)]
    # the builder's form: the saved query as q, the parameter as p_<name>
    client.force_login(org.supervisor)
    response = client.post(EXPORT, {"q": saved.pk, "p_c": "CS", "format": "xlsx"})
    assert list(sheet_of(response).iter_rows(values_only=True))[1:] == [("Szegedi Szerszám Zrt.",)]
    # the builder's edited copy of a saved query: its spec, the saved query in the audit
    edited = {**spec, "columns": ["name", "city"], "filter": {"items": []}}
    response = post(client, org.supervisor, edited, query=saved.pk)
    assert len(list(sheet_of(response).iter_rows())) == 4
    assert ExportRecord.objects.latest("pk").saved_query == saved


def test_a_saved_query_the_user_cannot_see_is_not_found(client, org, data):
    from crm.querybuilder.models import SavedQuery

    saved = SavedQuery.objects.create(
        owner=org.peer, company=org.company, name="Enyém", spec={"base": "partners"}
    )
    assert post(client, org.supervisor, query=saved.pk).status_code == 404
    assert not ExportRecord.objects.exists()


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"spec": "{not json"}, "JSON"),
        ({"spec": json.dumps({"base": "nope"})}, ""),
        ({"spec": json.dumps({"base": "partners", "columns": ["name__owner__password"]})}, "1"),
        ({"spec": json.dumps({"base": "partners", "columns": ["name"]}), "format": "pdf"}, "XLSX"),
        ({"spec": json.dumps({"base": "partners"}), "format": "csv", "separator": "|"}, ";"),
        ({"spec": json.dumps({"base": "partners"}), "params": "[1, 2]"}, ""),
        ({"spec": ""}, ""),
    ],
)
def test_a_bad_request_gets_its_reason_never_a_500(client, org, data, fields, said):
    client.force_login(org.supervisor)
    response = client.post(EXPORT, fields)
    assert response.status_code == 400
    assert said in response.content.decode()
    assert b'data-testid="export-error"' in response.content
    assert not ExportRecord.objects.exists()
    # with HTMX only the message
    response = client.post(EXPORT, fields, headers={"HX-Request": "true"})
    assert response.status_code == 400 and b"<html" not in response.content


def test_exporting_needs_the_builder_and_the_export_function(client, org, data):
    spec = json.dumps({"base": "partners", "columns": ["name"]})
    # a rep runs queries but may not export; marketing exports but may not run queries
    for user in (org.owner, org.outsider):
        client.force_login(user)
        assert client.post(EXPORT, {"spec": spec}).status_code == 403
    client.logout()
    response = client.post(EXPORT, {"spec": spec})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(EXPORT).status_code in (302, 405)
    client.force_login(org.supervisor)
    assert client.get(EXPORT).status_code == 405
    assert not ExportRecord.objects.exists()


# --------------------------------------------------------------------------- in the background


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def low_limit(settings):
    settings.QUERY_EXPORT_INLINE_ROWS = 1


def test_a_large_export_runs_in_celery_with_progress_and_a_download(
    client, org, data, media, low_limit, eager, django_capture_on_commit_callbacks
):
    spec = {"base": "partners", "columns": ["name", "city"], "sort": [{"field": "name"}]}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, org.supervisor, spec)
    record = ExportRecord.objects.get()
    status_url = reverse("querybuilder:export_status", args=[record.pk])
    assert response.status_code == 302 and response["Location"] == status_url
    record.refresh_from_db()
    assert record.state == ExportState.DONE and record.progress == 100 and record.rows == 3
    assert record.file.name.startswith("querybuilder/exports/")
    page = client.get(status_url)
    download = reverse("querybuilder:export_download", args=[record.pk])
    assert page.status_code == 200 and download in page.content.decode()
    assert f'hx-get="{status_url}"' not in page.content.decode()  # finished: no more polling
    rows = list(sheet_of(client.get(download)).iter_rows(values_only=True))
    assert rows == [
        ("Név", "Település"),
        ("Gödöllői Fa Bt.", "Gödöllő"),
        ("Pesti Gép Kft.", "Budaörs"),
        ("Szegedi Szerszám Zrt.", "Szeged"),
    ]


def test_a_queued_export_polls_until_done(client, org, data, media, low_limit):
    spec = {"base": "partners", "columns": ["name"]}
    response = post(client, org.supervisor, spec, format="csv", separator=",")
    record = ExportRecord.objects.get()
    assert record.state == ExportState.QUEUED and not record.file
    status_url = reverse("querybuilder:export_status", args=[record.pk])
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{status_url}"' in fragment and "<html" not in fragment
    download = reverse("querybuilder:export_download", args=[record.pk])
    assert download not in fragment
    assert client.get(download).status_code == 404  # not ready yet
    # an HTMX post is sent to the page by a client-side redirect
    response = client.post(
        EXPORT, {"spec": json.dumps(spec), "format": "csv"}, headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"].startswith("/reports/exports/")

    from crm.querybuilder.exports import export_run

    assert export_run(record_id=record.pk, separator=",")
    assert not export_run(record_id=record.pk)  # a second delivery does nothing
    record.refresh_from_db()
    assert record.state == ExportState.DONE and record.rows == 3
    rows = csv_rows(client.get(download), ",")
    assert sorted(rows[1:]) == [["Gödöllői Fa Bt."], ["Pesti Gép Kft."], ["Szegedi Szerszám Zrt."]]


def test_a_background_export_runs_as_its_user_and_records_a_refusal(
    client, org, data, media, low_limit
):
    from crm.querybuilder.exports import export_queue, export_run

    grant(org.owner)
    spec = {"base": "partners", "columns": ["name"], "sort": [{"field": "name"}]}
    record = export_queue(
        user=org.owner,
        spec=spec,
        params={},
        saved_query=None,
        fmt="csv",
        separator=";",
        language="hu",
    )
    export_run(record_id=record.pk, language="hu")
    client.force_login(org.owner)
    rows = csv_rows(client.get(reverse("querybuilder:export_download", args=[record.pk])))
    assert rows == [["Név"], ["Gödöllői Fa Bt."], ["Pesti Gép Kft."]]

    # the owner lost the function since: the export fails with the reason, not a file
    bad = export_queue(
        user=org.owner,
        spec={"base": "partners", "columns": ["turnover"]},
        params={},
        saved_query=None,
        fmt="xlsx",
        separator=";",
        language="hu",
    )
    export_run(record_id=bad.pk, language="hu")
    bad.refresh_from_db()
    assert bad.state == ExportState.FAILED and bad.error and not bad.file
    page = client.get(reverse("querybuilder:export_status", args=[bad.pk])).content.decode()
    assert bad.error.split(": ")[-1] in page


def test_the_progress_and_the_file_are_only_for_their_user(client, org, data, media, low_limit):
    from crm.querybuilder.exports import export_queue, export_run
    from tests.access import check_access

    record = export_queue(
        user=org.supervisor,
        spec={"base": "partners", "columns": ["name"]},
        params={},
        saved_query=None,
        fmt="xlsx",
        separator=";",
        language="hu",
    )
    export_run(record_id=record.pk)
    for name in ("export_status", "export_download"):
        check_access(
            client,
            org,
            reverse(f"querybuilder:{name}", args=[record.pk]),
            allowed={"supervisor"},
            denied_status=(403, 404),
        )
    # the others who may export get a 404, as for an export that does not exist
    client.force_login(org.boss)
    assert client.get(reverse("querybuilder:export_download", args=[record.pk])).status_code == 404
    assert (
        client.get(reverse("querybuilder:export_download", args=[record.pk + 99])).status_code
        == 404
    )


@pytest.fixture
def fresh_broker_pool():
    """Celery on the test broker with its connection and producer pools made anew: a test
    that pointed the app at another broker and back (tests/crm/messaging/test_faults.py)
    leaves kombu's shared pool for this broker closed ("Acquire on closed pool"), or, when it
    was the first to read the app's configuration, the app on its stopped private broker."""
    from django.conf import settings
    from kombu import pools

    from crm.celery import app

    app.conf.broker_url = settings.CELERY_BROKER_URL
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_a_worker_writes_the_large_export_and_its_user_downloads_it(
    client, media, settings, fresh_broker_pool
):
    """The real queue: the request queues the task, a Celery worker (another process, the
    same database and Redis) writes the file, the progress page then offers it."""
    import subprocess
    import sys

    from crm.groups import ensure_default_groups
    from tests.conftest import ROOT, subprocess_env, wait_for

    ensure_default_groups()
    from tests.access import build_org
    from tests.partners.conftest import make_partner

    org = build_org()
    settings.QUERY_EXPORT_INLINE_ROWS = 2
    for number in range(5):
        make_partner(org.owner, f"Partner {number} Kft.", tax_number=None)
    spec = {"base": "partners", "columns": ["name"], "sort": [{"field": "name"}]}
    response = post(client, org.supervisor, spec, format="csv")
    record = ExportRecord.objects.get()
    assert response.status_code == 302 and record.state == ExportState.QUEUED
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--hostname",
            "export-test@%h",
        ],
        cwd=ROOT,
        env=subprocess_env(MEDIA_ROOT=str(media)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        done = wait_for(
            lambda: ExportRecord.objects.filter(pk=record.pk, state=ExportState.DONE).first(),
            timeout=90,
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert done is not None, "the worker never finished the export"
    assert done.rows == 5 and done.progress == 100
    page = client.get(reverse("querybuilder:export_status", args=[record.pk])).content.decode()
    assert "5 sor" in page or "5 rows" in page
    rows = csv_rows(client.get(reverse("querybuilder:export_download", args=[record.pk])))
    assert [r[0] for r in rows[1:]] == [f"Partner {n} Kft." for n in range(5)]


def test_postgresql_writes_the_same_csv_as_python(org, data, hyperlink):
    """The CSV is written by COPY when every column can be shown in SQL: byte for byte the
    lines Python writes value by value (crm.spreadsheets.csv_lines)."""
    from django.utils import translation

    from activities.models import Activity
    from crm.querybuilder import exports
    from crm.querybuilder.engine import build
    from partners.models import Partner

    Activity.objects.filter(pk=hyperlink.pk).update(deadline=datetime.date(2026, 11, 30))
    Partner.objects.filter(pk=data["pest"].pk).update(headcount=1234)
    visit = meeting(org.owner, data["pest"], starts_at=datetime.datetime.now(datetime.UTC))
    Observation.objects.create(
        activity=visit,
        kind="price",
        product="+36 30 123 4567",
        competitor="@SUM(A1)",
        price=Decimal("1234567.50"),
    )
    specs = [
        {
            **ACTIVITIES,
            "columns": [*ACTIVITIES["columns"], "partner.headcount", "place", "kind"],
        },
        {"base": "observations", "columns": ["product", "competitor", "price", "created_at"]},
        {"base": "partners", "group": {"by": [{"field": "owner"}], "measures": [{"fn": "count"}]}},
        {
            "base": "partners",
            "group": {
                "by": [{"field": "county"}],
                "measures": [
                    {"fn": "avg", "field": "headcount"},
                    {"fn": "sum", "field": "headcount"},
                    {"fn": "max", "field": "headcount"},
                ],
            },
        },
    ]
    Partner.objects.filter(pk=data["pest2"].pk).update(headcount=7)
    for language in ("hu", "en"):
        with translation.override(language):
            for spec in specs:
                for separator in (";", ","):
                    built = build(spec, fresh(org.supervisor))
                    # an average of whole numbers is a float: Python writes it
                    assert (exports.copy_sql(built) is None) == ("avg" in str(spec))
                    output = io.BytesIO()
                    rows = exports.write_csv(built, output, separator=separator)
                    python = "".join(exports.csv_lines(built, separator=separator)).encode()
                    assert output.getvalue() == python
                    assert rows == python.count(b"\r\n") - 1


def test_a_column_of_several_values_is_written_by_python(org, data):
    from crm.querybuilder import exports
    from crm.querybuilder.engine import build

    built = build({"base": "contacts", "columns": ["family_name", "types"]}, fresh(org.supervisor))
    assert exports.copy_sql(built) is None
    output = io.BytesIO()
    assert exports.write_csv(built, output) == 2
    assert "Pénzügyi" in output.getvalue().decode("utf-8-sig")


def test_an_export_whose_worker_is_gone_ends_failed_instead_of_polling(client, org, data, media):
    from crm.querybuilder.exports import STALE_AFTER, export_queue

    record = export_queue(
        user=org.supervisor,
        spec={"base": "partners"},
        params={},
        saved_query=None,
        fmt="xlsx",
        separator=";",
        language="hu",
    )
    status_url = reverse("querybuilder:export_status", args=[record.pk])
    client.force_login(org.supervisor)
    assert f'hx-get="{status_url}"' in client.get(status_url).content.decode()
    ExportRecord.objects.filter(pk=record.pk).update(
        created_at=record.created_at - STALE_AFTER - datetime.timedelta(minutes=1)
    )
    page = client.get(status_url).content.decode()
    record.refresh_from_db()
    assert record.state == ExportState.FAILED and record.finished_at is not None
    assert f'hx-get="{status_url}"' not in page and record.error in page


def test_the_beats_sweep_ends_stale_exports_that_nobody_watches(org, data, settings):
    from crm.querybuilder.exports import STALE_AFTER
    from crm.querybuilder.tasks import sweep_exports

    assert settings.CELERY_BEAT_SCHEDULE["querybuilder-sweep-exports"]["task"] == (
        sweep_exports.name
    )
    old = datetime.datetime.now(datetime.UTC) - STALE_AFTER - datetime.timedelta(minutes=1)
    made = {}
    for name, state in (
        ("queued_long_ago", ExportState.QUEUED),
        ("running_long_ago", ExportState.RUNNING),
        ("done_long_ago", ExportState.DONE),
        ("running_now", ExportState.RUNNING),
    ):
        record = ExportRecord.objects.create(
            user=org.supervisor, spec={"base": "partners"}, format="xlsx", state=state
        )
        if name.endswith("long_ago"):
            ExportRecord.objects.filter(pk=record.pk).update(created_at=old)
        made[name] = record.pk
    assert sweep_exports() == 2
    states = dict(ExportRecord.objects.values_list("pk", "state"))
    assert states[made["queued_long_ago"]] == states[made["running_long_ago"]] == "failed"
    assert states[made["done_long_ago"]] == "done" and states[made["running_now"]] == "running"
    failed = ExportRecord.objects.get(pk=made["running_long_ago"])
    assert failed.finished_at is not None and failed.error
    assert sweep_exports() == 0


def test_an_asked_period_comes_as_two_fields(client, org, data):
    from django.utils import timezone

    spec = {
        "base": "partners",
        "columns": ["name"],
        "filter": {
            "items": [
                {
                    "field": "created_at",
                    "op": "between",
                    "value": ["2000. 01. 01.", "2000. 12. 31."],
                    "ask": True,
                    "param": "period",
                }
            ]
        },
    }
    assert len(list(sheet_of(post(client, org.supervisor, spec)).iter_rows())) == 1
    today = timezone.localdate()
    period = [(today - datetime.timedelta(days=1)).isoformat(), today.isoformat()]
    response = client.post(EXPORT, {"spec": json.dumps(spec), "p_period": period, "format": "xlsx"})
    assert len(list(sheet_of(response).iter_rows())) == 1 + 3
    assert ExportRecord.objects.latest("pk").params == {"period": period}


def test_my_exports_lists_the_users_own_exports_with_their_files_only(
    client, org, data, django_assert_num_queries
):
    """ "My exports": the user's own exports, newest first, with the ready file's download;
    another user's export is not listed, and a user without the export function gets 403."""
    grant(org.supervisor)
    grant(org.peer)
    spec = {"base": "partners", "columns": ["name"]}
    mine = ExportRecord.objects.create(
        user=org.supervisor,
        spec=spec,
        format="xlsx",
        rows=3,
        state=ExportState.DONE,
        file="querybuilder/exports/mine.xlsx",
    )
    running = ExportRecord.objects.create(
        user=org.supervisor, spec=spec, format="csv", state=ExportState.RUNNING, progress=40
    )
    theirs = ExportRecord.objects.create(
        user=org.peer,
        spec=spec,
        format="xlsx",
        rows=9,
        state=ExportState.DONE,
        file="querybuilder/exports/theirs.xlsx",
    )
    client.force_login(org.supervisor)
    url = reverse("querybuilder:export_list")
    client.get(url)  # the session and the user's caches warm
    with django_assert_num_queries(1):  # the exports (session, user, rights: cached)
        page = client.get(url).content.decode()
    assert reverse("querybuilder:export_download", args=[mine.pk]) in page
    assert reverse("querybuilder:export_status", args=[running.pk]) in page
    assert reverse("querybuilder:export_download", args=[theirs.pk]) not in page
    client.force_login(org.outsider)
    assert client.get(url).status_code == 403
