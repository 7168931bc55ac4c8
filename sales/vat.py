"""The VAT summary a Hungarian quote or invoice carries: per VAT case the net total, the VAT
and the gross, each rounded as the document shows it (whole forints for HUF), and the totals as
the sums of the rounded rows, so the printed columns add up. Pure functions."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from .models.catalogue import VatRate, vat_percent
from .pricing import round_money

ORDER = [rate.value for rate in VatRate]


@dataclass(frozen=True)
class VatRow:
    rate: str
    net: Decimal
    vat: Decimal
    gross: Decimal


def summary(lines, currency: str) -> tuple[list[VatRow], VatRow]:
    """``lines``: (VAT case, net value) pairs. Rows in the order of ``VatRate`` and the total
    row (its ``rate`` is "")."""
    nets: dict[str, Decimal] = defaultdict(Decimal)
    for rate, value in lines:
        nets[rate] += value
    rows = []
    for rate in sorted(nets, key=lambda r: ORDER.index(r) if r in ORDER else len(ORDER)):
        net = round_money(nets[rate], currency)
        vat = round_money(net * vat_percent(rate) / 100, currency)
        rows.append(VatRow(rate=rate, net=net, vat=vat, gross=net + vat))
    total = VatRow(
        rate="",
        net=sum((row.net for row in rows), Decimal(0)),
        vat=sum((row.vat for row in rows), Decimal(0)),
        gross=sum((row.gross for row in rows), Decimal(0)),
    )
    return rows, total
