"""Demo data of subscriptions and the sales collateral library: a manager follows the
contracts folder in a daily digest, a rep is told at once of a new price list, and the
collateral folder holds a product sheet and a reference list beside the price list."""

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from . import services
from .demo import _pdf
from .models import DocumentType, Folder
from .subscriptions import Mode, Subscription, subscribe

COLLATERAL = [
    (
        "Termékismertető – DX-200 akkus fúrógép",
        DocumentType.PRODUCT_SHEET,
        "18 V-os akkus fúró-csavarozó, két akkuval, kofferben.",
        ["termékismertető", "fúrógép"],
        "DX-200 termekismerteto",
    ),
    (
        "Referencialista 2026",
        DocumentType.OTHER,
        "Elvégzett gépészeti projektjeink megrendelőkkel és évszámmal.",
        ["referencia"],
        "Referencialista 2026",
    ),
]


def load_library() -> None:
    if Subscription.objects.exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_FOLLOWERS)}
    contracts = Folder.objects.filter(name="Szerződések").order_by("pk").first()
    collateral = Folder.objects.filter(is_collateral=True).order_by("pk").first()
    if collateral and "nagy.peter" in users:
        for title, kind, description, tags, text in COLLATERAL:
            document = services.document_create(
                user=users["nagy.peter"],
                company_id=collateral.company_id,
                title=title,
                type=kind,
                folder=collateral,
                description=description,
                tags=tags,
            )
            services.version_add(
                document=document,
                uploaded=ContentFile(_pdf(text), name=f"{title}.pdf"),
                user=users["nagy.peter"],
            )
    if contracts and "nagy.peter" in users:
        subscribe(user=users["nagy.peter"], mode=Mode.DAILY, folder=contracts)
    if collateral and "kovacs.anna" in users:
        subscribe(user=users["kovacs.anna"], mode=Mode.IMMEDIATE, folder=collateral)


DEMO_FOLLOWERS = ("nagy.peter", "kovacs.anna")
