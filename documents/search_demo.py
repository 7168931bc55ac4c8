"""Demo documents for the full-text search (``make run``): Word files with Hungarian contract
text in the demo's contracts folder, linked to the first demo partners, so that a search for
``kotber`` or ``hataridore`` finds them. Their text is read by the worker like any upload."""

import io

from django.apps import apps
from django.core.files.base import ContentFile

from . import services
from .models import Document, DocumentType, Folder

TEXTS = [
    (
        "Szállítási feltételek",
        "A Szállító a megrendelt árut a visszaigazolt határidőre, a Megrendelő telephelyére "
        "szállítja. Késedelmes teljesítés esetén a Szállító a nettó vételár napi 0,5%-ának "
        "megfelelő kötbérrel tartozik, legfeljebb a vételár 10%-áig.",
    ),
    (
        "Karbantartási szerződés",
        "A Vállalkozó a berendezések negyedéves karbantartását vállalja. Hiba bejelentése "
        "esetén a kiszállás határideje munkanapokon 24 óra. A jótállás időtartama 12 hónap.",
    ),
]


def _docx(title: str, text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def load_search_documents() -> None:
    folder = Folder.objects.filter(name="Szerződések", parent=None).order_by("pk").first()
    if folder is None or not apps.is_installed("partners"):
        return
    owners = apps.get_model("partners", "PartnerOwner").objects.filter(company=folder.company)
    rows = owners.select_related("partner", "user").order_by("partner__name")[: len(TEXTS)]
    for (title, text), row in zip(TEXTS, rows, strict=False):
        full_title = f"{title} – {row.partner.name}"
        if Document.objects.filter(company=folder.company, title=full_title).exists():
            continue
        document = services.document_create(
            user=row.user,
            company_id=folder.company_id,
            links=[row.partner],
            title=full_title,
            type=DocumentType.CONTRACT,
            folder=folder,
        )
        services.version_add(
            document=document,
            uploaded=ContentFile(_docx(title, text), name=f"{title}.docx"),
            user=row.user,
        )
