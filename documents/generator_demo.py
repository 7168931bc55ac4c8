"""Demo templates (``make run``): a templates folder (Sablonok) that every rep reads, an offer
letter (DOCX), a framework contract (HTML → PDF), a cover letter (DOCX), a handover sheet
(XLSX), a visit report for meetings (DOCX), and the contract pack that asks the contract value,
start date and handover place once. One demo partner gets its contract pack generated."""

import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from crm.groups import DEFAULT_GROUPS
from crm.models import Company

from .generator_models import DocumentTemplate, FieldKind, Pack, PackField, PackItem
from .models import DocumentType, Folder, FolderGrant, Level

CONTRACT_HTML = """<!doctype html>
<html lang="hu"><head><meta charset="utf-8"><title>Szállítási keretszerződés</title>
<style>
  body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.45; }
  h1 { font-size: 16pt; text-align: center; margin-bottom: 4pt; }
  .sub { text-align: center; color: #555; margin-top: 0; }
  table.parties { width: 100%; border-collapse: collapse; margin: 12pt 0; }
  table.parties td { width: 50%; vertical-align: top; border: 1px solid #bbb; padding: 6pt; }
  h2 { font-size: 11pt; margin-top: 14pt; }
  .sign { margin-top: 40pt; width: 100%; }
  .sign td { width: 50%; text-align: center; padding-top: 30pt; }
  .line { border-top: 1px solid #000; margin: 0 20pt; padding-top: 3pt; }
  @page { @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; } }
</style></head>
<body>
<h1>Szállítási keretszerződés</h1>
<p class="sub">amely létrejött az alábbi felek között</p>
<table class="parties"><tr>
<td><strong>Szállító:</strong><br>{{ company.name }}<br>Adószám: {{ company.tax_number }}<br>
Cégjegyzékszám: {{ company.registration_number }}</td>
<td><strong>Megrendelő:</strong><br>{{ partner.name }}<br>{{ partner.address }}<br>
Adószám: {{ partner.tax_number }}</td>
</tr></table>
<h2>1. A szerződés tárgya</h2>
<p>Szállító vállalja, hogy a Megrendelő által egyedi megrendelésekben kért termékeket leszállítja,
Megrendelő pedig vállalja azok átvételét és ellenértékük megfizetését.</p>
<h2>2. Szerződéses érték és időtartam</h2>
<p>A keretszerződés értéke: <strong>{{ shared.contract_value }}</strong> + ÁFA.
A szerződés {{ shared.start_date }} napján lép hatályba, határozatlan időre szól.</p>
<h2>3. Teljesítés helye</h2>
<p>Az átadás-átvétel helye: {{ shared.handover_place }}</p>
<h2>4. Kapcsolattartók</h2>
<p>Szállító részéről: {{ owner.name }} ({{ owner.email }})<br>
Megrendelő részéről: {{ contact_of_type.donteshozo.name or contact_of_type.ugyvezeto.name
or "a Megrendelő által írásban megjelölt személy" }}</p>
<h2>5. Záró rendelkezések</h2>
<p>A szerződésben nem szabályozott kérdésekben a Polgári Törvénykönyvről szóló 2013. évi V.
törvény rendelkezései az irányadók. Felek a szerződést elolvasás és értelmezés után, mint
akaratukkal mindenben megegyezőt, jóváhagyólag írják alá.</p>
<p>Kelt: Budapest, {{ today.long }}</p>
<table class="sign"><tr>
<td><div class="line">{{ company.name }}<br>Szállító</div></td>
<td><div class="line">{{ partner.name }}<br>Megrendelő</div></td>
</tr></table>
</body></html>
"""

OFFER = [
    "{{ company.name }}",
    "ÁRAJÁNLAT",
    "{{ partner.name }}",
    "{{ partner.address }}",
    "Adószám: {{ partner.tax_number }}",
    "Budapest, {{ today.long }}",
    "Tisztelt {{ contact_of_type.donteshozo.name or contact_of_type.ugyvezeto.name"
    ' or "Hölgyem/Uram" }}!',
    "Köszönjük megkeresését. Az Önök igényei alapján az alábbi ajánlatot adjuk, amely a kelettől"
    " számított 30 napig érvényes. Az árak forintban értendők, az áfát nem tartalmazzák.",
    "Kérdés esetén keressen bizalommal.",
    "Üdvözlettel:",
    "{{ user.name }}",
    "{{ company.name }} · {{ user.email }}",
]

COVER_LETTER = [
    "{{ partner.name }}",
    "{{ partner.address }}",
    "Tárgy: szállítási keretszerződés megküldése",
    "Tisztelt {{ contact_of_type.ugyvezeto.name or contact_of_type.donteshozo.name"
    ' or "Partnerünk" }}!',
    "Mellékelten megküldjük a {{ shared.contract_value }} értékű szállítási keretszerződést,"
    " amely {{ shared.start_date }} napján lép hatályba. Az első átadás helye:"
    " {{ shared.handover_place }}",
    "Kérjük, a szerződést aláírva juttassák vissza részünkre.",
    "Budapest, {{ today.long }}",
    "Üdvözlettel:",
    "{{ owner.name }}",
    "{{ company.name }}",
]

VISIT_REPORT = [
    "LÁTOGATÁSI JELENTÉS",
    "Partner: {{ partner.name }} ({{ partner.address }})",
    "Kapcsolattartó: {{ contact.name }} {{ contact.position }}",
    "Időpont: {{ activity.date }} {{ activity.time }}, helyszín: {{ activity.place }}",
    "Téma: {{ activity.subject }}",
    "A látogatás célja: {{ activity.description }}",
    "Eredmény: {{ activity.outcome }}",
    "Megállapítások: {{ activity.result_notes }}",
    "Készítette: {{ activity.owner.name }}, {{ today.date }}",
]


def _docx(paragraphs: list[str], heading_rows=(0,)) -> bytes:
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.styles["Normal"].font.name = "DejaVu Sans"
    document.styles["Normal"].font.size = Pt(10)
    for index, text in enumerate(paragraphs):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        run.bold = index in heading_rows
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _handover_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Átadás-átvétel"
    rows = [
        ("Átadás-átvételi jegyzőkönyv", None),
        ("Átadó", "{{ company.name }}"),
        ("Átvevő", "{{ partner.name }}"),
        ("Átvevő címe", "{{ partner.address }}"),
        ("Átadás helye", "{{ shared.handover_place }}"),
        ("Hatálybalépés", "{{ shared.start_date }}"),
        ("Szerződéses érték (Ft)", "{{ shared.contract_value }}"),
        ("Kelt", "{{ today.date }}"),
        ("Átadó aláírása", None),
        ("Átvevő aláírása", None),
    ]
    for row in rows:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["B7"].number_format = "# ##0 Ft"
    sheet["B6"].number_format = "yyyy. mm. dd."
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 48
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def load_templates() -> None:
    from . import generator, packs

    if DocumentTemplate.objects.exists():
        return
    company = Company.objects.order_by("pk").first()
    author = get_user_model().objects.filter(username="szabo.gabor").first()
    if company is None or author is None:
        return
    folder, _created = Folder.objects.get_or_create(company=company, parent=None, name="Sablonok")
    for key, level in (
        ("sales_rep", Level.READ),
        ("marketing", Level.READ),
        ("sales_manager", Level.MANAGE),
    ):
        group = Group.objects.filter(name=DEFAULT_GROUPS[key]).first()
        if group is not None:
            FolderGrant.objects.get_or_create(folder=folder, group=group, level=level)
    contracts = Folder.objects.filter(company=company, name="Szerződések").first()

    def make(name, filename, content, output_type, description, output_folder=None):
        return generator.template_create(
            user=author,
            company_id=company.pk,
            name=name,
            uploaded=ContentFile(content, name=filename),
            folder=folder,
            output_type=output_type,
            output_folder=output_folder,
            description=description,
        )

    make(
        "Árajánlat – kísérőlevél",
        "Árajánlat.docx",
        _docx(OFFER, heading_rows=(0, 1)),
        DocumentType.OFFER,
        "Ajánlati levél a partner döntéshozójának, a felhasználó aláírásával.",
    )
    contract = make(
        "Szállítási keretszerződés",
        "Keretszerződés.html",
        CONTRACT_HTML.encode(),
        DocumentType.CONTRACT,
        "PDF szerződés a saját cég és a partner adataival; a szerződéscsomag része.",
        output_folder=contracts,
    )
    cover = make(
        "Szerződés kísérőlevele",
        "Kísérőlevél.docx",
        _docx(COVER_LETTER, heading_rows=(2,)),
        DocumentType.LETTER,
        "A szerződéscsomag kísérőlevele.",
    )
    handover = make(
        "Átadás-átvételi jegyzőkönyv",
        "Átadás-átvétel.xlsx",
        _handover_xlsx(),
        DocumentType.OTHER,
        "Kitöltendő jegyzőkönyv az első szállításhoz.",
    )
    make(
        "Látogatási jelentés",
        "Látogatási jelentés.docx",
        _docx(VISIT_REPORT),
        DocumentType.OTHER,
        "Egy találkozó jelentése a tevékenység oldaláról generálva.",
    )
    pack = Pack.objects.create(
        company=company,
        name="Szerződéscsomag",
        description="Keretszerződés (PDF), kísérőlevél és átadás-átvételi jegyzőkönyv egyszerre.",
    )
    for order, template in enumerate((contract, cover, handover), start=1):
        PackItem.objects.create(pack=pack, template=template, order=order)
    for order, (key, label, kind, example) in enumerate(
        (
            ("contract_value", "Szerződéses érték (Ft)", FieldKind.AMOUNT, "12 500 000"),
            ("start_date", "Hatálybalépés", FieldKind.DATE, "2027. 01. 01."),
            ("handover_place", "Átadás helye", FieldKind.TEXT, "Győr, Ipari park 4."),
        ),
        start=1,
    ):
        PackField.objects.create(
            pack=pack, key=key, label=label, kind=kind, example=example, order=order
        )
    _generate_one(pack, company, packs)


def _generate_one(pack, company, packs) -> None:
    """The contract pack of one demo partner, as a rep would generate it."""
    import datetime
    from decimal import Decimal

    from django.apps import apps

    if not apps.is_installed("partners"):
        return
    row = (
        apps.get_model("partners", "PartnerOwner")
        .objects.filter(company=company, user__username="kovacs.anna")
        .select_related("partner", "user")
        .order_by("partner__name")
        .first()
    )
    if row is None:
        return
    fields = {f.key: f for f in packs.pack_fields(pack)}
    typed = {
        "contract_value": Decimal("12500000"),
        "start_date": datetime.date(2027, 1, 1),
        "handover_place": f"{row.partner.city or 'Budapest'}, a Megrendelő telephelye",
    }
    shared = {key: packs.shown(fields[key], value) for key, value in typed.items()}
    packs.pack_generate(
        pack=pack,
        kind="partner",
        record=row.partner,
        user=row.user,
        shared=shared,
        values={key: str(value) for key, value in shared.items()},
    )
