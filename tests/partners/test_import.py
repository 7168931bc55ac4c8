"""The partner and contact import: reading files safely, mapping, preview, the set-based run,
access, the report, and the screens (upload → mapping → start → progress → result)."""

import csv
import io
import threading
import zipfile

import openpyxl
import pghistory
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from partners import imports
from partners.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeTarget,
    Contact,
    ContactType,
    ExternalId,
    ImportJob,
    ImportKind,
    ImportMapping,
    ImportState,
    Partner,
    PartnerOwner,
    Tag,
)
from partners.tasks import import_run

from .conftest import TAX_NUMBERS, make_partner, owners_of

pytestmark = pytest.mark.django_db

HEADERS = ["Név", "Adószám", "Irányítószám", "Város", "Cím", "Telefon", "E-mail", "Címkék"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # One writer: parallel writers have connections of their own, which do not see the
    # test's transaction (test_parallel_writers commits for real instead).
    settings.PARTNERS_IMPORT_WRITERS = 1


@pytest.fixture(autouse=True)
def english(client):
    """Messages in the English source text (the pages and reports come in both languages)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def csv_bytes(rows, *, delimiter=";", encoding="utf-8-sig") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    for row in rows:
        writer.writerow(row)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def read(name: str, content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    handle = upload(name, content)
    fmt = imports.check_upload(handle)
    with imports.open_table(handle, fmt) as table:
        return table.headers, list(table.rows())


def make_job(user, rows, *, kind=ImportKind.PARTNERS, key=None, name="partnerek.csv", mapping=None):
    """A job through the same steps as the screens: checked upload, suggested mapping."""
    content = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    handle = upload(name, content)
    fmt = imports.check_upload(handle)
    with imports.open_table(handle, fmt) as table:
        headers = table.headers
    job = ImportJob(
        kind=kind,
        company=user.current_company,
        created_by=user,
        original_name=name,
        headers=headers,
    )
    job.mapping, job.key, _remembered = imports.suggest_mapping(kind, headers, user=user)
    if mapping:
        job.mapping.update(mapping)
    if key:
        job.key = key
    imports.clean_mapping(kind, headers, job.mapping, job.key)
    handle.seek(0)
    job.file.save(f"test.{fmt}", handle, save=False)
    job.state = ImportState.MAPPED
    job.save()
    return job


def run(job):
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.QUEUED)
    import_run(job.pk, "en")
    job.refresh_from_db()
    return job


def report_rows(job) -> list[list[str]]:
    raw = job.report.open("rb").read()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Hungarian Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def row(
    name, tax="", postcode="6720", city="Szeged", street="Fő utca 1.", phone="", email="", tags=""
):
    return [name, tax, postcode, city, street, phone, email, tags]


# ----------------------------------------------------------------------------- reading


def test_csv_in_utf8_with_commas_is_read():
    headers, rows = read(
        "a.csv",
        csv_bytes([["Név", "Város"], ["Őrség Kft.", "Győr"]], delimiter=",", encoding="utf-8"),
    )
    assert headers == ["Név", "Város"]
    assert rows == [(2, ["Őrség Kft.", "Győr"])]


def test_csv_with_bom_and_semicolons_is_read():
    headers, rows = read("a.csv", csv_bytes([["Név", "Város"], ["Tűzoltó Bt.", "Pécs"]]))
    assert headers == ["Név", "Város"]
    assert rows == [(2, ["Tűzoltó Bt.", "Pécs"])]


def test_csv_written_by_hungarian_excel_in_cp1250_is_read():
    content = csv_bytes([["Név", "Város"], ["Hőerőmű Zrt.", "Százhalombatta"]], encoding="cp1250")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    headers, rows = read("a.csv", content)
    assert headers == ["Név", "Város"]
    assert rows == [(2, ["Hőerőmű Zrt.", "Százhalombatta"])]


def test_blank_rows_are_left_out_and_row_numbers_follow_the_file():
    content = csv_bytes([["Név"], ["Első"], [""], ["Harmadik"]])
    assert read("a.csv", content)[1] == [(2, ["Első"]), (4, ["Harmadik"])]


def test_xlsx_is_read_with_numbers_as_text():
    content = xlsx_bytes([["Név", "Adószám", "Létszám"], ["Alfa Kft.", "10773381-2-44", 12]])
    headers, rows = read("a.xlsx", content)
    assert headers == ["Név", "Adószám", "Létszám"]
    assert rows == [(2, ["Alfa Kft.", "10773381-2-44", "12"])]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.pdf", b"%PDF-1.4", "Upload a CSV or an XLSX"),
        ("a.csv", b"", "The file is empty"),
        ("a.xlsx", b"MZ\x90\x00" + b"\x00" * 2000, "not a valid XLSX"),
        ("a.csv", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100, "not a CSV"),
    ],
)
def test_files_that_cannot_be_imported_are_refused(name, content, message):
    with pytest.raises(ValidationError) as refused:
        imports.check_upload(upload(name, content))
    assert message in " ".join(refused.value.messages)


def test_a_zip_that_is_no_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ValidationError) as refused:
        imports.check_upload(upload("a.xlsx", out.getvalue()))
    assert refused.value.code == "not_xlsx"


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\x00" * (1024 * 1024)
            for _ in range(200):
                member.write(block)
    content = out.getvalue()
    assert len(content) < 1024 * 1024  # 200 MB of zeros in well under a megabyte
    with pytest.raises(ValidationError) as refused:
        imports.check_upload(upload("bomb.xlsx", content))
    assert refused.value.code == "zip_bomb"


def test_a_workbook_whose_xml_declares_entities_is_refused():
    """XML entities are how "billion laughs" workbooks explode in memory: with defusedxml
    installed, openpyxl refuses any entity declaration, and the upload is a clear refusal."""
    rows = [HEADERS, row("Entitás Kft.", "10773381244")]
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/workbook.xml":
                doctype = '<!DOCTYPE workbook [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
                data = doctype.encode() + data  # openpyxl writes no XML declaration here
            archive.writestr(info, data)
    handle = upload("entities.xlsx", out.getvalue())
    fmt = imports.check_upload(handle)
    with pytest.raises(ValidationError) as refused, imports.open_table(handle, fmt):
        pass
    assert refused.value.code == "not_xlsx"


@override_settings(PARTNERS_IMPORT_MAX_BYTES=100)
def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(ValidationError) as refused:
        imports.check_upload(upload("a.csv", b"N\xc3\xa9v\n" + b"x" * 200))
    assert refused.value.code == "too_big"


@pytest.mark.parametrize(
    ("header", "code"),
    [(["Név", "Város", "név"], "duplicate_header"), (["Név", "", "Város"], "empty_header")],
)
def test_a_header_row_with_repeated_or_empty_names_is_refused(header, code):
    with pytest.raises(ValidationError) as refused:
        read("a.csv", csv_bytes([header, ["a", "b", "c"]]))
    assert refused.value.code == code


# ----------------------------------------------------------------------------- mapping


def test_columns_are_mapped_by_their_hungarian_or_english_names(org):
    headers = [
        "Cégnév",
        "Tax number",
        "Irányítószám",
        "Település",
        "Utca",
        "Phone",
        "E-mail",
        "Kedvenc szín",
    ]
    mapping, key, remembered = imports.suggest_mapping(ImportKind.PARTNERS, headers, user=org.owner)
    assert mapping == {
        "Cégnév": "name",
        "Tax number": "tax_number",
        "Irányítószám": "postcode",
        "Település": "city",
        "Utca": "street",
        "Phone": "phones",
        "E-mail": "emails",
        "Kedvenc szín": "",
    }
    assert key == "tax_number" and not remembered


def test_attributes_and_external_ids_are_offered_by_name(org):
    AttributeDefinition.objects.create(
        target=AttributeTarget.PARTNER, key="segment", label_hu="Szegmens", kind=AttributeKind.TEXT
    )
    mapping, key, _ = imports.suggest_mapping(
        ImportKind.PARTNERS, ["Név", "Szegmens", "ext:erp"], user=org.owner
    )
    assert mapping == {"Név": "name", "Szegmens": "attr:segment", "ext:erp": "ext:erp"}
    assert key == "ext:erp"


def test_the_last_mapping_of_the_same_header_row_is_offered_first(org):
    headers = ["Megnevezés", "Adó", "Megjegyzés"]
    chosen = {"Megnevezés": "name", "Adó": "tax_number", "Megjegyzés": ""}
    imports.remember_mapping(
        user=org.owner, kind=ImportKind.PARTNERS, headers=headers, mapping=chosen, key="tax_number"
    )
    mapping, key, remembered = imports.suggest_mapping(ImportKind.PARTNERS, headers, user=org.owner)
    assert remembered and mapping == chosen
    # Another user, or another header row, gets the guess.
    assert not imports.suggest_mapping(ImportKind.PARTNERS, headers, user=org.peer)[2]
    assert not imports.suggest_mapping(ImportKind.PARTNERS, [*headers, "x"], user=org.owner)[2]


def test_a_mapping_needs_its_key_and_no_field_twice():
    with pytest.raises(ValidationError) as refused:
        imports.clean_mapping(
            ImportKind.PARTNERS, ["A", "B"], {"A": "name", "B": "name"}, "tax_number"
        )
    text = " ".join(refused.value.messages)
    assert "two columns" in text and "map a column to it" in text


# ----------------------------------------------------------------------------- preview


def test_the_preview_lists_every_row_error(org):
    rows = [
        [*HEADERS, "Kedvenc szín"],
        [*row("Alfa Kft.", "10773381-2-44"), "kék"],
        [*row("Béta Kft.", "12345678-1-12"), "zöld"],  # wrong check digit
        [*row("Gamma Kft.", "10773381-2-44"), "piros"],  # the same key as row 2
        [*row('=HYPERLINK("http://x")', "12345676-2-41"), ""],
        [*row("<b>Delta</b> Kft.", "23451672-2-09", postcode="12"), ""],
    ]
    job = make_job(org.owner, rows)
    preview = imports.preview(job, user=org.owner)
    assert preview.total_rows == 5 and preview.complete
    errors = dict(preview.errors)
    assert "tax number 12345678-1-12: the check digit" in errors[3]
    assert "postcode 12" in errors[6]
    assert preview.error_count == 2
    assert dict(preview.skipped)[4].startswith("the same tax number as row 2")
    assert [c for c in preview.columns if c[0] == "Kedvenc szín"] == [("Kedvenc szín", "", "")]
    assert any(number == 5 and "starts with =" in text for number, text in preview.warnings)
    assert preview.will_create == 2


def test_the_mapping_page_shows_the_preview_escaped(client, org):
    rows = [HEADERS, row("<b>Delta</b> Kft.", "23451672-2-09"), row("Béta", "12345678-1-12")]
    job = make_job(org.owner, rows)
    client.force_login(org.owner)
    response = client.get(reverse("partners:import-mapping", args=[job.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;b&gt;Delta&lt;/b&gt; Kft." in html and "<b>Delta</b>" not in html
    assert "Row 3: tax number 12345678-1-12: the check digit" in html


def test_the_preview_tells_of_a_key_that_is_not_yours(org):
    theirs = make_partner(org.peer, name="Péter cége", tax_number=TAX_NUMBERS[1])
    job = make_job(org.owner, [HEADERS, row("Más név", TAX_NUMBERS[1])])
    errors = dict(imports.preview(job, user=org.owner).errors)
    assert "exists but is not yours" in errors[2]
    assert theirs.name not in errors[2]


# ----------------------------------------------------------------------------- running


def _events(model: str, **lookup) -> list[dict]:
    """The history events of ``model`` (pghistory's event model) matching ``lookup``, with
    their context's metadata, as dicts without their own id (an event written anew has
    another)."""
    events = apps.get_model("partners", model).objects.filter(**lookup)
    return [
        {
            key: value
            for key, value in vars(event).items()
            if key not in {"_state", "pgh_id", "pgh_context_id"}
        }
        | {"context": event.pgh_context.metadata}
        for event in events.select_related("pgh_context").order_by("pgh_obj_id")
    ]


def _owner_events(partner_ids) -> list[dict]:
    return _events("PartnerOwnerEvent", partner_id__in=partner_ids)


def test_the_owner_rows_history_is_what_the_row_trigger_writes(org, eager):
    """The import writes its owner rows' history set-based (imports._with_history): the same
    events as pghistory's row trigger, which is held off for that statement only."""
    job = run(
        make_job(
            org.owner, [HEADERS, row("Alfa Kft.", TAX_NUMBERS[0]), row("Béta Bt.", TAX_NUMBERS[1])]
        )
    )
    assert job.created_count == 2, job.error
    imported = list(PartnerOwner.objects.filter(partner__tax_number__in=TAX_NUMBERS[:2]))
    written = _owner_events([o.partner_id for o in imported])
    assert len(written) == 2 and {e["pgh_label"] for e in written} == {"insert"}
    assert all(e["context"] == {"user": org.owner.pk, "import_job": job.pk} for e in written)
    # The same rows written again, one by one, under the same context: the trigger's events.
    PartnerOwner.objects.filter(pk__in=[o.pk for o in imported]).delete()
    apps.get_model("partners", "PartnerOwnerEvent").objects.all().delete()
    with pghistory.context(user=org.owner.pk, import_job=job.pk), connection.cursor() as cursor:
        for o in imported:  # as they were, created_at too (a save would set it anew)
            cursor.execute(
                "INSERT INTO partners_partnerowner"
                " (id, partner_id, company_id, user_id, created_at, reason)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [o.pk, o.partner_id, o.company_id, o.user_id, o.created_at, o.reason],
            )
    by_trigger = _owner_events([o.partner_id for o in imported])
    for event in written + by_trigger:
        # now(): the start of the writing transaction, which the import's writers may open
        # on a connection of their own
        event.pop("pgh_created_at")
    assert written == by_trigger
    # The trigger is on again after the import's statement: a later owner row has its event.
    make_partner(org.owner, name="Gamma Kft.", tax_number=TAX_NUMBERS[2])
    assert len(_owner_events(PartnerOwner.objects.values_list("partner_id", flat=True))) == 3


def test_the_partners_history_is_what_the_row_trigger_writes(org, eager):
    """The import writes its new partners' history set-based (imports._with_history): the
    same events as pghistory's row trigger, which is held off for that statement only."""
    rows = [
        HEADERS,
        row("Alfa Kft.", TAX_NUMBERS[0], phone="06 30 123 4567", email="info@alfa.hu"),
        row("Béta Bt.", TAX_NUMBERS[1], postcode="1051", city="Budapest"),
    ]
    job = run(make_job(org.owner, rows))
    assert job.created_count == 2, job.error
    ids = list(Partner.objects.filter(tax_number__in=TAX_NUMBERS[:2]).values_list("pk", flat=True))
    written = _events("PartnerEvent", pgh_obj_id__in=ids)
    assert len(written) == 2 and {e["pgh_label"] for e in written} == {"insert"}
    assert all(e["context"] == {"user": org.owner.pk, "import_job": job.pk} for e in written)
    assert {e["name"] for e in written} == {"Alfa Kft.", "Béta Bt."}
    # The same rows written again, as they were, under the same context: the trigger's events.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE saved AS SELECT * FROM partners_partner WHERE id = ANY(%s)",
            [ids],
        )
        cursor.execute("DELETE FROM partners_partner WHERE id = ANY(%s)", [ids])
    apps.get_model("partners", "PartnerEvent").objects.all().delete()
    with pghistory.context(user=org.owner.pk, import_job=job.pk), connection.cursor() as cursor:
        cursor.execute("INSERT INTO partners_partner SELECT * FROM saved")
        cursor.execute("DROP TABLE saved")
    by_trigger = _events("PartnerEvent", pgh_obj_id__in=ids)
    for event in written + by_trigger:
        event.pop("pgh_created_at")  # now(): the start of the writing transaction
    assert written == by_trigger
    # The trigger is on again after the import's statement: a later partner has its event.
    later = make_partner(org.owner, name="Gamma Kft.", tax_number=TAX_NUMBERS[2])
    assert [e["pgh_label"] for e in _events("PartnerEvent", pgh_obj_id=later.pk)] == ["insert"]


def test_new_partners_are_created_with_owner_tags_and_history(org, eager):
    rows = [
        HEADERS,
        row(
            "Alfa Kft.",
            "10773381244",
            phone="06 30 123 4567",
            email="Info@Alfa.hu",
            tags="Kiemelt; Új",
        ),
        row(
            "Béta Bt.",
            "12345676-2-41",
            postcode="1117",
            city="Budapest",
            tags='kiemelt; "A" \\ {x}',
        ),
    ]
    from partners.reference import tags as cached_tags

    assert cached_tags() == []  # the filters' cached tag list, filled now
    # A sales rep may not create tags: the rows that name a missing one fail.
    refused = run(make_job(org.owner, rows))
    assert (refused.created_count, refused.failed_count) == (0, 2)
    assert "there is no tag Kiemelt, and you may not create tags" in report_rows(refused)[1][4]
    job = run(make_job(org.supervisor, rows))  # a sales manager may
    assert job.state == ImportState.DONE, job.error
    assert (job.created_count, job.updated_count, job.failed_count) == (2, 0, 0)
    alfa = Partner.objects.get(tax_number="10773381-2-44")
    assert alfa.phones == ["+36 30 123 4567"] and alfa.emails == ["info@alfa.hu"]
    assert alfa.created_by == org.supervisor and alfa.version == 1
    assert owners_of(alfa, org.company) == {"supervisor"}
    assert sorted(alfa.tags.values_list("name", flat=True)) == ["Kiemelt", "Új"]
    assert Tag.objects.filter(name__iexact="kiemelt").count() == 1
    # The import wrote the tags with raw SQL and forgot the cached list: the filters offer them.
    assert sorted(t.name for t in cached_tags()) == ['"A" \\ {x}', "Kiemelt", "Új"]
    beta = Partner.objects.get(tax_number="12345676-2-41")
    assert sorted(beta.tags.values_list("name", flat=True)) == ['"A" \\ {x}', "Kiemelt"]
    assert beta.county == "BU"  # a Budapest postcode is in Budapest (Partner.clean's rule)
    assert beta.search_text  # the search trigger ran
    event = alfa.events.get()
    assert event.pgh_context.metadata["user"] == org.supervisor.pk
    # The owner and those above see them in lists (the visibility index kept by its triggers).
    assert set(Partner.objects.visible_to(org.supervisor)) == {alfa, beta}
    assert set(Partner.objects.visible_to(org.boss)) == {alfa, beta}
    assert not Partner.objects.visible_to(org.owner).exists()


def test_partners_are_updated_by_tax_number_and_an_empty_cell_keeps_the_value(org, eager):
    partner = make_partner(
        org.owner, name="Régi név Kft.", tax_number=TAX_NUMBERS[0], street="Régi utca 2."
    )
    job = run(make_job(org.owner, [HEADERS, row("Új név Kft.", TAX_NUMBERS[0], street="")]))
    assert (job.created_count, job.updated_count) == (0, 1), job.error
    partner.refresh_from_db()
    assert partner.name == "Új név Kft." and partner.street == "Régi utca 2."
    assert partner.version == 2
    again = run(make_job(org.owner, [HEADERS, row("Új név Kft.", TAX_NUMBERS[0], street="")]))
    assert (again.updated_count, again.skipped_count) == (0, 1)
    assert report_rows(again)[1][1:2] == ["skipped"] and "no changes" in report_rows(again)[1][4]


def test_partners_are_created_and_updated_by_external_id(org, eager):
    headers = ["ERP kód", "Név", "Város"]
    ExternalId.objects.create(
        partner=make_partner(org.owner, name="Már megvan"), system="erp", value="E-1"
    )
    first = run(
        make_job(
            org.owner,
            [
                ["ext:erp", "Név", "Város"],
                ["E-1", "Megvan Kft.", "Eger"],
                ["E-2", "Új Kft.", "Vác"],
            ],
            key="ext:erp",
        )
    )
    assert (first.created_count, first.updated_count) == (1, 1), first.error
    assert ExternalId.objects.get(system="erp", value="E-1").partner.name == "Megvan Kft."
    new = ExternalId.objects.get(system="erp", value="E-2").partner
    assert new.name == "Új Kft." and new.tax_number is None
    # A header the system is known by ("ERP kód") maps to it now that erp ids exist.
    assert (
        imports.suggest_mapping(ImportKind.PARTNERS, headers, user=org.owner)[0]["ERP kód"]
        == "ext:erp"
    )


def test_a_key_of_someone_elses_partner_fails_the_row_and_changes_nothing(org, eager):
    theirs = make_partner(org.peer, name="Péter cége", tax_number=TAX_NUMBERS[1])
    job = run(
        make_job(
            org.owner, [HEADERS, row("Átírt név", TAX_NUMBERS[1]), row("Saját", TAX_NUMBERS[2])]
        )
    )
    assert (job.created_count, job.failed_count) == (1, 1)
    theirs.refresh_from_db()
    assert theirs.name == "Péter cége" and owners_of(theirs, org.company) == {"peer"}
    failed = [r for r in report_rows(job) if r[1] == "failed"]
    assert len(failed) == 1 and "exists but is not yours" in failed[0][4]
    assert "Péter cége" not in failed[0][4]
    # The supervisor sees both reps' partners, so may update it.
    boss_job = run(make_job(org.supervisor, [HEADERS, row("Átírt név", TAX_NUMBERS[1])]))
    assert boss_job.updated_count == 1, boss_job.error


def test_duplicate_keys_in_the_file_skip_the_second_row(org, eager):
    rows = [HEADERS, row("Első", TAX_NUMBERS[0]), row("Második", TAX_NUMBERS[0].replace("-", ""))]
    job = run(make_job(org.owner, rows))
    assert (job.created_count, job.skipped_count) == (1, 1)
    assert Partner.objects.get(tax_number=TAX_NUMBERS[0]).name == "Első"
    assert "the same tax number as row 2" in report_rows(job)[2][4]


def test_a_failed_row_saves_nothing_of_itself(org, eager):
    headers = [*HEADERS, "Felelős"]
    rows = [
        headers,
        [*row("Rossz felelős", TAX_NUMBERS[0]), "nincs.ilyen"],
        [*row("Jó", TAX_NUMBERS[1]), "owner"],
    ]
    job = run(make_job(org.owner, rows))
    assert (job.created_count, job.failed_count) == (1, 1)
    assert not Partner.objects.filter(tax_number=TAX_NUMBERS[0]).exists()
    assert owners_of(Partner.objects.get(tax_number=TAX_NUMBERS[1]), org.company) == {"owner"}


def test_the_report_neutralises_formulas_and_keeps_html_as_text(org, eager):
    rows = [
        HEADERS,
        row("=1+1", TAX_NUMBERS[0]),
        row("<script>x</script>", TAX_NUMBERS[1]),
        row("-5+3", TAX_NUMBERS[2], phone="+36 30 123 4567"),
    ]
    job = run(make_job(org.owner, rows))
    assert job.created_count == 3, job.error
    assert Partner.objects.get(tax_number=TAX_NUMBERS[0]).name == "=1+1"  # stored as typed
    assert Partner.objects.get(tax_number=TAX_NUMBERS[1]).name == "<script>x</script>"
    lines = report_rows(job)
    assert lines[0] == ["Row", "Result", "Key", "Name", "Reasons"]
    assert lines[1] == ["2", "created", TAX_NUMBERS[0], "'=1+1", ""]
    assert lines[3][3] == "'-5+3"
    assert imports.neutralise("+36 30 123 4567") == "+36 30 123 4567"
    assert imports.neutralise("@SUM(A1)") == "'@SUM(A1)"


def test_user_defined_attributes_are_parsed_and_merged(org, eager):
    AttributeDefinition.objects.create(
        target=AttributeTarget.PARTNER, key="since", label_hu="Ügyfél óta", kind=AttributeKind.DATE
    )
    AttributeDefinition.objects.create(
        target=AttributeTarget.PARTNER, key="vip", label_hu="VIP", kind=AttributeKind.BOOLEAN
    )
    partner = make_partner(org.owner, name="Alfa", tax_number=TAX_NUMBERS[0], attributes={"old": 1})
    headers = ["Név", "Adószám", "Ügyfél óta", "VIP"]
    job = run(
        make_job(
            org.owner,
            [
                headers,
                ["Alfa", TAX_NUMBERS[0], "2024. 03. 05.", "igen"],
                ["Béta", TAX_NUMBERS[1], "tegnap", ""],
            ],
        )
    )
    assert (job.updated_count, job.failed_count) == (1, 1), job.error
    partner.refresh_from_db()
    assert partner.attributes == {"old": 1, "since": "2024-03-05", "vip": True}
    assert "tegnap is not a date" in report_rows(job)[2][4]


def test_an_xlsx_file_is_imported(org, eager):
    job = run(
        make_job(
            org.owner,
            [["Név", "Adószám", "Létszám"], ["Alfa Kft.", TAX_NUMBERS[0], 42]],
            name="p.xlsx",
        )
    )
    assert job.created_count == 1, job.error
    assert Partner.objects.get(tax_number=TAX_NUMBERS[0]).headcount == 42


def test_the_task_claims_a_job_once(org, eager):
    job = make_job(org.owner, [HEADERS, row("Alfa", TAX_NUMBERS[0])])
    import_run(job.pk)  # not queued yet: nothing happens
    job.refresh_from_db()
    assert job.state == ImportState.MAPPED
    job = run(job)
    assert job.state == ImportState.DONE and job.created_count == 1
    import_run(job.pk)  # a second delivery
    job.refresh_from_db()
    assert job.created_count == 1 and Partner.objects.count() == 1


def test_a_user_without_the_function_cannot_run_a_job(org, eager):
    job = make_job(org.owner, [HEADERS, row("Alfa", TAX_NUMBERS[0])])
    org.owner.groups.clear()
    job = run(job)
    assert job.state == ImportState.FAILED and "may no longer import" in job.error
    assert not Partner.objects.exists()


# ----------------------------------------------------------------------------- contacts

CONTACT_HEADERS = ["Adószám", "Név", "Beosztás", "E-mail", "Típus"]


def test_contacts_are_created_and_updated_through_the_services(org, eager):
    partner = make_partner(org.owner, name="Alfa", tax_number=TAX_NUMBERS[0])
    rows = [
        CONTACT_HEADERS,
        [TAX_NUMBERS[0], "dr. Kovács Anna Mária", "ügyvezető", "anna@alfa.hu", "Pénzügyi"],
        [TAX_NUMBERS[1], "Nagy Béla", "", "bela@beta.hu", ""],
    ]
    job = run(make_job(org.owner, rows, kind=ImportKind.CONTACTS))
    assert (job.created_count, job.failed_count) == (1, 1), job.error
    anna = Contact.objects.get(partner=partner)
    assert (anna.title, anna.family_name, anna.given_name) == ("dr.", "Kovács", "Anna Mária")
    assert [t.name_hu for t in anna.types.all()] == ["Pénzügyi"]
    assert anna.gdpr_notices.count() == 1  # the service queued the GDPR notice
    assert "there is no partner 12345676-2-41" in report_rows(job)[2][4]
    again = run(
        make_job(
            org.owner,
            [CONTACT_HEADERS, [TAX_NUMBERS[0], "Kovács Anna", "igazgató", "ANNA@alfa.hu", ""]],
            kind=ImportKind.CONTACTS,
        )
    )
    assert again.updated_count == 1, again.error
    anna.refresh_from_db()
    assert anna.position == "igazgató" and anna.given_name == "Anna" and anna.title == "dr."


def test_a_second_contact_of_a_single_only_type_fails_its_row(org, eager):
    partner = make_partner(org.owner, name="Alfa", tax_number=TAX_NUMBERS[0])
    single = ContactType.objects.filter(single=True).first()
    rows = [
        CONTACT_HEADERS,
        [TAX_NUMBERS[0], "Kiss Ádám", "", "adam@alfa.hu", single.name_hu],
        [TAX_NUMBERS[0], "Tóth Éva", "", "eva@alfa.hu", single.name_hu],
    ]
    job = run(make_job(org.owner, rows, kind=ImportKind.CONTACTS))
    assert (job.created_count, job.failed_count) == (1, 1), job.error
    assert Contact.objects.filter(partner=partner).count() == 1
    assert "may have only one" in report_rows(job)[2][4]


def test_contacts_find_their_partner_by_external_id(org, eager):
    partner = make_partner(org.owner, name="Alfa")
    ExternalId.objects.create(partner=partner, system="erp", value="V-7")
    job = run(
        make_job(
            org.owner,
            [
                ["ext:erp", "Vezetéknév", "Keresztnév"],
                ["V-7", "Szabó", "Éva"],
                ["V-8", "Kis", "Pál"],
            ],
            kind=ImportKind.CONTACTS,
            key="name",
        )
    )
    assert (job.created_count, job.failed_count) == (1, 1), job.error
    assert Contact.objects.get().partner == partner
    assert "there is no partner erp:V-8" in report_rows(job)[2][4]


def test_contacts_of_someone_elses_partner_fail(org, eager):
    make_partner(org.peer, name="Péteré", tax_number=TAX_NUMBERS[1])
    job = run(
        make_job(
            org.owner,
            [CONTACT_HEADERS, [TAX_NUMBERS[1], "Nagy Béla", "", "bela@p.hu", ""]],
            kind=ImportKind.CONTACTS,
        )
    )
    assert job.failed_count == 1 and not Contact.objects.exists()
    assert "not yours" in report_rows(job)[1][4]


# ----------------------------------------------------------------------------- screens


def test_a_user_without_the_import_function_gets_403(client, org):
    client.force_login(org.outsider)
    assert client.get(reverse("partners:import-upload")).status_code == 403
    job = make_job(org.owner, [HEADERS, row("Alfa", TAX_NUMBERS[0])])
    assert client.get(reverse("partners:import-mapping", args=[job.pk])).status_code == 403


@pytest.mark.parametrize(
    "name", ["import-mapping", "import-progress", "import-result", "import-report"]
)
def test_another_user_cannot_see_a_job(client, org, name):
    job = make_job(org.owner, [HEADERS, row("Alfa", TAX_NUMBERS[0])])
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.DONE)
    for persona in ("peer", "supervisor", "other_company_user"):
        client.force_login(org.users[persona])
        assert client.get(reverse(f"partners:{name}", args=[job.pk])).status_code == 404, persona
    client.force_login(org.superuser)
    assert client.get(reverse("partners:import-result", args=[job.pk])).status_code == 200
    client.force_login(org.peer)
    assert client.post(reverse("partners:import-start", args=[job.pk])).status_code == 404


def test_upload_refuses_a_bad_file_on_the_page(client, org):
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:import-upload"),
        {"kind": "partners", "file": upload("a.xlsx", b"not a zip at all")},
    )
    assert response.status_code == 200
    assert "not a valid XLSX" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_whole_way_through_the_screens(client, org, eager, django_capture_on_commit_callbacks):
    client.force_login(org.owner)
    content = csv_bytes([HEADERS, row("Alfa Kft.", TAX_NUMBERS[0]), row("=2+2", "12345678-1-12")])
    response = client.post(
        reverse("partners:import-upload"),
        {"kind": "partners", "file": upload("lista.csv", content)},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "partners:import-mapping", args=[job.pk]
    )
    assert (
        job.original_name == "lista.csv"
        and job.file.name.endswith(".csv")
        and "lista" not in job.file.name
    )
    page = client.get(response["Location"]).content.decode()
    assert "Row 3: tax number 12345678-1-12" in page
    data = {f"col_{i}": job.mapping[h] for i, h in enumerate(job.headers)}
    data["key"] = "tax_number"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("partners:import-start", args=[job.pk]), data)
    assert len(callbacks) == 1
    assert response["Location"] == reverse("partners:import-progress", args=[job.pk])
    assert ImportMapping.objects.filter(user=org.owner).exists()
    job.refresh_from_db()
    assert job.state == ImportState.DONE and (job.created_count, job.failed_count) == (1, 1)
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' not in fragment and "import-progress-100" in fragment
    result = client.get(reverse("partners:import-result", args=[job.pk])).content.decode()
    assert 'data-testid="created">1<' in result and 'data-testid="failed">1<' in result
    download = client.get(reverse("partners:import-report", args=[job.pk]))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "'=2+2" in body and "check digit" in body


def test_the_progress_fragment_polls_until_the_job_is_done(client, org):
    job = make_job(org.owner, [HEADERS, row("Alfa", TAX_NUMBERS[0])])
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.RUNNING, total_rows=200, processed_rows=50
    )
    client.force_login(org.owner)
    url = reverse("partners:import-progress", args=[job.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and f'hx-get="{url}"' in fragment
    assert "import-progress-25" in fragment and "<html" not in fragment
    page = client.get(url).content.decode()
    assert "<html" in page and "partners/css/import.css" in page
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.DONE, processed_rows=200)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert (
        "hx-trigger" not in fragment
        and reverse("partners:import-result", args=[job.pk]) in fragment
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_import_every_chunk_once_and_keep_the_report_in_order(
    org, eager, settings, monkeypatch
):
    settings.PARTNERS_IMPORT_WRITERS = 3
    monkeypatch.setattr(imports, "CHUNK_ROWS", 7)
    monkeypatch.setattr(imports._Statistics, "MIN_ROWS", 7)
    analyzed = _watch_analyze(monkeypatch)
    taxes = [_tax(n) for n in range(1, 61)]
    rows = [HEADERS] + [row(f"Cég {n}", tax) for n, tax in enumerate(taxes, start=1)]
    rows.append(row("Cég 1 újra", taxes[0]))  # a duplicate, 4 chunks later
    rows.append(row("Hibás", "12345678-1-12"))
    job = run(make_job(org.owner, rows))
    assert job.state == ImportState.DONE, job.error
    assert (job.created_count, job.skipped_count, job.failed_count) == (60, 1, 1)
    assert job.processed_rows == 62
    assert Partner.objects.count() == 60
    assert set(Partner.objects.visible_to(org.owner).values_list("tax_number", flat=True)) == set(
        taxes
    )
    lines = report_rows(job)
    assert [int(line[0]) for line in lines[1:]] == list(range(2, 64))
    events = apps.get_model("partners", "PartnerEvent").objects.select_related("pgh_context")
    assert {e.pgh_context.metadata["user"] for e in events} == {org.owner.pk}
    # The writers brought the statistics up to date themselves, after their chunks' commits.
    assert any(name.startswith(f"import-{job.pk}-w") for name, _rows in analyzed)


def _tax(n: int) -> str:
    core = f"{1000000 + n:07d}"
    weights = (9, 7, 3, 1, 9, 7, 3)
    check = (10 - sum(int(d) * w for d, w in zip(core, weights, strict=True)) % 10) % 10
    return f"{core}{check}-2-41"


def _planner_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


def test_an_import_that_grows_the_partner_table_brings_its_statistics_up_to_date(
    org, eager, monkeypatch
):
    """The planner knows the partner table's real size during and after an import
    (imports._Statistics): a row estimate from when the table was small made the owner rows'
    triggers scan the whole table at every chunk."""
    monkeypatch.setattr(imports, "CHUNK_ROWS", 4)
    monkeypatch.setattr(imports._Statistics, "MIN_ROWS", 2)
    seen = _watch_analyze(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_partner")
    before = Partner.objects.count()
    assert _planner_rows("partners_partner") == before
    taxes = [_tax(n) for n in range(1, 2 * before + 12)]
    job = run(make_job(org.owner, [HEADERS] + [row(f"Cég {t}", t) for t in taxes]))
    assert job.created_count == len(taxes), job.error
    assert _planner_rows("partners_partner") == before + len(taxes)
    assert _planner_rows("partners_partnerowner") == PartnerOwner.objects.count()
    # While the import ran (the table doubled), not only at its end.
    assert len(seen) >= 2 and seen[0][1] < before + len(taxes)


def _watch_analyze(monkeypatch) -> list[tuple[str, int]]:
    """The ANALYZEs of imports._Statistics, as (thread name, partner rows then)."""
    seen = []
    analyze = imports._Statistics._analyze

    def watched(self):
        size = analyze(self)
        seen.append((threading.current_thread().name, Partner.objects.count()))
        return size

    monkeypatch.setattr(imports._Statistics, "_analyze", watched)
    return seen


def test_a_partner_written_by_someone_else_meanwhile_is_matched_when_the_chunk_is_redone(
    org, eager, monkeypatch
):
    """A tax number written by another session between the chunk's lookup and its insert:
    the unique violation rolls the chunk back and it is done again, where the row matches."""
    existing = make_partner(org.owner, name="Alfa Kft.", tax_number=TAX_NUMBERS[0])
    lookups = []
    match = imports._match_partners

    def not_yet_there(key, values):  # the first lookup runs before the other session's commit
        lookups.append(values)
        return {} if len(lookups) == 1 else match(key, values)

    monkeypatch.setattr(imports, "_match_partners", not_yet_there)
    rows = [HEADERS, row("Alfa Kft.", TAX_NUMBERS[0], city="Pécs"), row("Béta", TAX_NUMBERS[1])]
    job = run(make_job(org.owner, rows))
    assert job.state == ImportState.DONE, job.error
    assert (job.created_count, job.updated_count, job.failed_count) == (1, 1, 0)
    assert len(lookups) == 2
    existing.refresh_from_db()
    assert existing.city == "Pécs"
    events = apps.get_model("partners", "PartnerEvent").objects.filter(pgh_label="insert")
    assert events.filter(tax_number=TAX_NUMBERS[1]).count() == 1  # not one from each try


def test_an_import_whose_worker_died_ends_with_a_message_and_can_be_run_again(org, eager):
    import datetime

    from django.utils import timezone

    from partners.tasks import sweep_imports

    rows = [HEADERS, row("Gamma Kft.", "10773381244")]
    done = run(make_job(org.supervisor, rows))
    assert done.state == ImportState.DONE and done.progress_at is not None
    dead, alive, forgotten, waiting = (make_job(org.supervisor, rows) for _ in range(4))
    long_ago = timezone.now() - datetime.timedelta(minutes=16)
    ImportJob.objects.filter(pk=dead.pk).update(
        state=ImportState.RUNNING, started_at=long_ago, progress_at=long_ago
    )
    ImportJob.objects.filter(pk=alive.pk).update(
        state=ImportState.RUNNING, started_at=long_ago, progress_at=timezone.now()
    )
    ImportJob.objects.filter(pk=forgotten.pk).update(
        state=ImportState.QUEUED, created_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    ImportJob.objects.filter(pk=waiting.pk).update(state=ImportState.QUEUED)
    assert sweep_imports() == 2
    states = dict(ImportJob.objects.values_list("pk", "state"))
    assert states[dead.pk] == states[forgotten.pk] == ImportState.FAILED
    assert states[alive.pk] == ImportState.RUNNING and states[waiting.pk] == ImportState.QUEUED
    assert states[done.pk] == ImportState.DONE
    dead.refresh_from_db()
    assert "töltse fel újra a fájlt" in dead.error and dead.finished_at is not None
    # The file again: the partner written before is found by its key, not doubled.
    again = run(make_job(org.supervisor, rows))
    assert again.created_count == 0 and again.updated_count + again.skipped_count == 1
    assert Partner.objects.filter(tax_number="10773381-2-44").count() == 1


# ----------------------------------------------------------------------------- audit fixes


def test_the_preview_counts_faulty_rows_not_their_errors(client, org):
    rows = [
        HEADERS,
        row("Alfa Kft.", TAX_NUMBERS[0]),
        row("Béta Kft.", "12345678-1-12", postcode="12"),  # two errors
        row("Gamma Kft.", "87654321-1-12", postcode="34"),  # two errors
    ]
    job = make_job(org.owner, rows)
    preview = imports.preview(job, user=org.owner)
    assert (preview.error_rows, preview.error_count) == (2, 4)
    client.force_login(org.owner)
    url = reverse("partners:import-mapping", args=[job.pk])
    english = client.get(url).content.decode()
    assert "2 faulty rows: they will not be imported." in english
    assert "4 errors in all." in english
    client.cookies["crm_language"] = "hu"
    hungarian = client.get(url, HTTP_ACCEPT_LANGUAGE="hu").content.decode()
    assert "2 hibás sor: azokat nem importáljuk." in hungarian
    assert "Összesen 4 hiba." in hungarian
    assert "4 hibás sor" not in hungarian


def test_one_faulty_row_with_one_error_is_told_in_the_singular(client, org):
    job = make_job(org.owner, [HEADERS, row("Béta Kft.", "12345678-1-12")])
    client.force_login(org.owner)
    page = client.get(reverse("partners:import-mapping", args=[job.pk])).content.decode()
    assert "1 faulty row: it will not be imported." in page
    assert "in all." not in page  # one error a row: nothing more to count


def _contact_with_type(user, partner, family, given, email, contact_type):
    from partners.services import contact_create

    return contact_create(
        user=user,
        contact=Contact(partner=partner, family_name=family, given_name=given, emails=[email]),
        types=[contact_type],
    )


def _partner_whose_single_type_is_held(org, name: str):
    """A partner whose "Kiss Ádám" holds a single-only contact type: (partner, that type)."""
    partner = make_partner(org.owner, name=name, tax_number=TAX_NUMBERS[0])
    single = ContactType.objects.filter(single=True).first()
    _contact_with_type(org.owner, partner, "Kiss", "Ádám", "adam@alfa.hu", single)
    return partner, single


@pytest.mark.parametrize("holder", ["in the file", "in the database"])
def test_the_preview_reports_a_second_single_only_contact_as_the_run_does(org, eager, holder):
    partner = make_partner(org.owner, name="Import Teszt Első Kft.", tax_number=TAX_NUMBERS[0])
    single = ContactType.objects.filter(single=True).first()
    rows = [CONTACT_HEADERS]
    if holder == "in the database":
        _contact_with_type(org.owner, partner, "Kiss", "Ádám", "adam@alfa.hu", single)
    else:
        rows.append([TAX_NUMBERS[0], "Kiss Ádám", "", "adam@alfa.hu", single.name_hu])
    rows.append([TAX_NUMBERS[0], "Tóth Éva", "", "eva@alfa.hu", single.name_hu])
    faulty = len(rows)  # the last row: the header is row 1
    job = make_job(org.owner, rows, kind=ImportKind.CONTACTS)
    preview = imports.preview(job, user=org.owner)
    assert preview.error_rows == 1
    expected = (
        f"Import Teszt Első Kft. already has a {single} contact: Kiss Ádám."
        " A partner may have only one."
    )
    assert preview.errors == [(faulty, expected)]
    assert {n: r for n, _cells, r in preview.rows}[faulty] == [expected]
    job = run(job)
    assert job.failed_count == 1 and Contact.objects.filter(partner=partner).count() == 1
    assert report_rows(job)[faulty - 1][4] == expected


def test_the_single_only_message_keeps_the_partner_name_in_hungarian(org, eager):
    _partner, single = _partner_whose_single_type_is_held(org, "Import Teszt Első Kft.")
    rows = [CONTACT_HEADERS, [TAX_NUMBERS[0], "Tóth Éva", "", "eva@alfa.hu", single.name_hu]]
    job = make_job(org.owner, rows, kind=ImportKind.CONTACTS)
    with translation.override("hu"):
        previewed = imports.preview(job, user=org.owner).errors
        expected = (
            f"Import Teszt Első Kft. már rendelkezik ilyen ({single}) kapcsolattartóval:"
            " Kiss Ádám. Egy partnernek csak egy lehet."
        )
    assert previewed == [(2, expected)]
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.QUEUED)
    import_run(job.pk, "hu")
    job.refresh_from_db()
    assert report_rows(job)[1][4] == expected


def test_a_contact_that_holds_its_single_only_type_already_is_no_error(org, eager):
    _partner, single = _partner_whose_single_type_is_held(org, "Alfa")
    rows = [CONTACT_HEADERS, [TAX_NUMBERS[0], "Kiss Ádám", "", "adam@alfa.hu", single.name_hu]]
    job = make_job(org.owner, rows, kind=ImportKind.CONTACTS)
    preview = imports.preview(job, user=org.owner)
    assert preview.errors == [] and preview.will_update == 1
    job = run(job)
    assert job.failed_count == 0 and job.skipped_count == 1


@pytest.mark.parametrize(("key", "shown"), [("email", "anna@alfa.hu"), ("name", "Kovács Anna")])
def test_the_report_key_of_a_contact_is_the_key_it_was_found_by(org, eager, key, shown):
    make_partner(org.owner, name="Alfa", tax_number=TAX_NUMBERS[0])
    rows = [
        CONTACT_HEADERS,
        [TAX_NUMBERS[0], "dr. Kovács Anna", "", "Anna@alfa.hu", ""],
        [TAX_NUMBERS[1], "Nagy Béla", "", "bela@beta.hu", ""],
    ]
    job = run(make_job(org.owner, rows, kind=ImportKind.CONTACTS, key=key))
    lines = report_rows(job)
    assert lines[1][:3] == ["2", "created", shown]
    # The partner's key still names the partner that is missing.
    assert lines[2][1] == "failed" and "there is no partner 12345676-2-41" in lines[2][4]
    assert lines[2][2] == ("bela@beta.hu" if key == "email" else "Nagy Béla")


def test_the_report_key_of_a_partner_found_by_external_id_is_that_id(org, eager):
    rows = [["ext:erp", "Név", "Adószám"], ["E-9", "Külső Kft.", TAX_NUMBERS[0]]]
    job = run(make_job(org.owner, rows, key="ext:erp"))
    assert job.created_count == 1, job.error
    assert report_rows(job)[1][:3] == ["2", "created", "E-9"]


def test_the_preview_says_which_rows_update_partners_already_there(client, org):
    make_partner(org.owner, name="Meglévő Kft.", tax_number=TAX_NUMBERS[0])
    rows = [HEADERS, row("Meglévő Kft. új néven", TAX_NUMBERS[0]), row("Új Kft.", TAX_NUMBERS[2])]
    job = make_job(org.owner, rows)
    client.force_login(org.owner)
    html = client.get(reverse("partners:import-mapping", args=[job.pk])).content.decode()
    note = html[html.index('data-testid="preview-updates"') :]
    assert "1 row matches a record already in the CRM: the import updates it" in note
    table = html[html.index('data-testid="preview-rows"') : html.index("</table>")]
    assert table.count('data-testid="row-updates"') == 1
    updated_row = table[table.index('data-testid="row-updates"') :]
    assert "Meglévő Kft. új néven" in updated_row.split("</tr>")[0]
