"""The sales models, by concern: the catalogue with its prices and discounts (``catalogue``)."""

from .catalogue import (
    MONEY,
    Currency,
    DiscountMode,
    DiscountRule,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    ProductKind,
    RuleKind,
    SalesSettings,
    Unit,
    VatRate,
    vat_percent,
)

__all__ = [
    "MONEY",
    "Currency",
    "DiscountMode",
    "DiscountRule",
    "PriceList",
    "PriceListItem",
    "Product",
    "ProductCategory",
    "ProductKind",
    "RuleKind",
    "SalesSettings",
    "Unit",
    "VatRate",
    "vat_percent",
]
