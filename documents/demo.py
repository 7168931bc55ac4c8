"""Demo documents: a contracts folder the reps write to, a sales collateral folder they read,
and a signed contract on a few demo partners (``make run`` loads them once)."""

from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from crm.groups import DEFAULT_GROUPS
from crm.models import Company

from . import services
from .models import DocumentType, Folder, FolderGrant, Level


def _pdf(text: str) -> bytes:
    """A one-page PDF with one line of (ASCII) text."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def load_documents() -> None:
    if Folder.objects.exists():
        return
    company = Company.objects.order_by("pk").first()
    if company is None:
        return
    groups = {key: Group.objects.filter(name=name).first() for key, name in DEFAULT_GROUPS.items()}
    contracts = Folder.objects.create(company=company, name="Szerződések")
    collateral = Folder.objects.create(
        company=company, name="Árlisták és termékismertetők", is_collateral=True
    )
    for folder, rep_level in ((contracts, Level.WRITE), (collateral, Level.READ)):
        if groups["sales_rep"]:
            FolderGrant.objects.create(folder=folder, group=groups["sales_rep"], level=rep_level)
        if groups["sales_manager"]:
            FolderGrant.objects.create(
                folder=folder, group=groups["sales_manager"], level=Level.MANAGE
            )
    if not apps.is_installed("partners"):
        return
    owners = apps.get_model("partners", "PartnerOwner").objects.filter(company=company)
    for row in owners.select_related("partner", "user").order_by("partner__name")[:5]:
        partner, user = row.partner, row.user
        document = services.document_create(
            user=user,
            company_id=company.pk,
            links=[partner],
            title=f"Keretszerződés – {partner.name}",
            type=DocumentType.CONTRACT,
            folder=contracts,
            tags=["aláírt", "2026"],
        )
        services.version_add(
            document=document,
            uploaded=ContentFile(_pdf(f"Keretszerzodes {partner.pk}"), name="Keretszerződés.pdf"),
            user=user,
        )
    manager = owners.first()
    if manager is not None:
        price_list = services.document_create(
            user=manager.user,
            company_id=company.pk,
            title="Árlista 2026",
            type=DocumentType.PRICE_LIST,
            folder=collateral,
        )
        services.version_add(
            document=price_list,
            uploaded=ContentFile(
                "Termék;Egységár (Ft)\nCsavarkészlet;12 500\nFúrógép;48 900\n".encode(),
                name="Árlista 2026.csv",
            ),
            user=manager.user,
        )
