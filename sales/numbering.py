"""Document numbers per own company and year without gaps or repeats: the counter row is
locked (``SELECT … FOR UPDATE``) in the transaction that saves the document, so concurrent
saves queue on it, and a rolled-back save leaves the counter as it was."""

from django.db import transaction

from .models.quotes import Counter

PREFIXES = {
    "quote": "AJ",
    "order": "RE",
    "delivery": "SZL",
    "invoice": "SZ",
}


def next_number(*, company_id: int, kind: str, year: int) -> str:
    """``AJ-2026-0001``: call inside the transaction that saves the numbered record."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the saving transaction")
    Counter.objects.get_or_create(company_id=company_id, kind=kind, year=year)
    counter = Counter.objects.select_for_update().get(company_id=company_id, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{PREFIXES.get(kind, kind.upper())}-{year}-{counter.last:04d}"
