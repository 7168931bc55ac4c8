"""Import of products from CSV and XLSX files, the partner import's way (``partners.imports``):
the same upload checks (size, type, ZIP bombs, encodings) and the same table readers; columns
found by their Hungarian or English names; a row is matched by its code (new code: created,
known code: updated); an empty cell never clears a stored value.

A catalogue is a few thousand rows, so the whole file is checked first and written in one
transaction only when every row is right: a file with errors changes nothing, and the page
lists every error with its row number.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from partners.imports import check_upload, normalise_header, open_table

from .models import Product, ProductCategory, ProductKind, Unit, VatRate
from .numbers import parse_decimal

# field → the normalised header names that mean it
COLUMNS = {
    "code": ("kod", "cikkszam", "code", "sku", "termekkod"),
    "name_hu": ("nev", "megnevezes", "name", "nev hu", "name hu", "magyar nev"),
    "name_en": ("angol nev", "nev en", "name en", "english name"),
    "kind": ("tipus", "fajta", "kind", "type"),
    "unit": ("egyseg", "mennyisegi egyseg", "me", "unit"),
    "vat_rate": ("afa", "afa kulcs", "afakulcs", "vat", "vat rate"),
    "category": ("kategoria", "termekkategoria", "category"),
    "price_huf": ("ar", "listaar", "ar huf", "listaar huf", "price", "price huf", "list price"),
    "price_eur": ("ar eur", "listaar eur", "price eur", "eur"),
    "active": ("aktiv", "active"),
    "description": ("leiras", "description"),
}
_TRUE = {"1", "igen", "i", "yes", "y", "true", "x", "aktiv", "active"}
_FALSE = {"0", "nem", "n", "no", "false", "inaktiv", "inactive"}


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)  # (row number, message)
    unknown_columns: list = field(default_factory=list)


def map_columns(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    """column index → field, and the headers that name no field."""
    lookup = {name: key for key, names in COLUMNS.items() for name in names}
    mapping, unknown = {}, []
    for index, header in enumerate(headers):
        key = lookup.get(normalise_header(header))
        if key and key not in mapping.values():
            mapping[index] = key
        else:
            unknown.append(header)
    return mapping, unknown


def _choice(choices, raw: str, label: str):
    wanted = normalise_header(raw)
    for value, text in choices.choices:
        if wanted in (normalise_header(value), normalise_header(str(text))):
            return value
    raise ValueError(_("%(label)s %(value)s is not known.") % {"label": label, "value": raw})


def _vat(raw: str) -> str:
    text = raw.replace("%", "").strip().upper()
    if text in VatRate.values:
        return text
    try:
        number = parse_decimal(text)
    except ValueError:
        return _choice(VatRate, raw, _("The VAT rate"))
    if number == number.to_integral() and str(int(number)) in VatRate.values:
        return str(int(number))
    raise ValueError(_("The VAT rate %(value)s is not a Hungarian rate.") % {"value": raw})


def _price(raw: str) -> Decimal:
    try:
        value = parse_decimal(raw)
    except ValueError:
        raise ValueError(_("The price %(value)s is not a number.") % {"value": raw}) from None
    if value < 0:
        raise ValueError(_("A price cannot be negative."))
    return value


def _parse(cells: dict, categories: dict) -> dict:
    """The row's given values, converted; ValueError with the first problem."""
    values = {}
    for key, raw in cells.items():
        if not raw:
            continue
        if key in ("price_huf", "price_eur"):
            values[key] = _price(raw)
        elif key == "vat_rate":
            values[key] = _vat(raw)
        elif key == "unit":
            values[key] = _choice(Unit, raw, _("The unit"))
        elif key == "kind":
            values[key] = _choice(ProductKind, raw, _("The kind"))
        elif key == "active":
            flag = normalise_header(raw)
            if flag not in _TRUE | _FALSE:
                raise ValueError(_("Active is yes or no, not %(value)s.") % {"value": raw})
            values[key] = flag in _TRUE
        elif key == "category":
            category = categories.get(normalise_header(raw))
            if category is None:
                raise ValueError(_("There is no product category %(value)s.") % {"value": raw})
            values[key] = category
        else:
            values[key] = raw
    return values


def import_products(uploaded, *, user) -> Result:
    """Checks every row of the uploaded file, then creates and updates the products in one
    transaction if none has an error."""
    fmt = check_upload(uploaded)
    result = Result()
    categories = {}
    for category in ProductCategory.objects.all():
        for name in (category.code, category.name_hu, category.name_en):
            if name:
                categories[normalise_header(name)] = category
    with open_table(uploaded, fmt) as table:
        mapping, result.unknown_columns = map_columns(table.headers)
        if "code" not in mapping.values():
            raise ValidationError(_("The file has no code column (Kód or Code)."))
        rows = []
        for number, cells in table.rows():
            if len(rows) >= settings.SALES_IMPORT_MAX_ROWS:
                raise ValidationError(
                    _("At most %(count)s products can be imported at once.")
                    % {"count": settings.SALES_IMPORT_MAX_ROWS}
                )
            given = {key: cells[index] for index, key in mapping.items()}
            try:
                rows.append((number, _parse(given, categories)))
            except ValueError as exc:
                result.errors.append((number, str(exc)))
    existing = {p.code: p for p in Product.objects.filter(code__in=[v["code"] for _n, v in rows])}
    planned, seen = [], {}
    for number, values in rows:
        code = values["code"]
        if code in seen:
            result.errors.append(
                (
                    number,
                    _("The code %(code)s is in row %(row)s too.")
                    % {"code": code, "row": seen[code]},
                )
            )
            continue
        seen[code] = number
        product = existing.get(code) or Product(created_by=user)
        for key, value in values.items():
            setattr(product, key, value)
        try:
            product.full_clean(validate_unique=False)
        except ValidationError as exc:
            messages = [
                f"{Product._meta.get_field(name).verbose_name}: {' '.join(errors)}"
                if name != "__all__"
                else " ".join(errors)
                for name, errors in exc.message_dict.items()
            ]
            result.errors.append((number, "; ".join(messages)))
            continue
        planned.append(product)
    if result.errors:
        return result
    with transaction.atomic():
        for product in planned:
            if product.pk:
                product.version += 1
                result.updated += 1
            else:
                result.created += 1
            product.save()
    return result
