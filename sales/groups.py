"""The sales functions of the default permission groups (data migrations sales/0002, …)."""

_CATALOGUE = ["product", "productcategory", "pricelist", "pricelistitem", "discountrule"]
_READ_CATALOGUE = [f"sales.view_{model}" for model in _CATALOGUE]
_EDIT_CATALOGUE = [
    f"sales.{action}_{model}" for model in _CATALOGUE for action in ("view", "add", "change")
]

CATALOGUE_GRANTS = {
    "sales_rep": _READ_CATALOGUE,
    "sales_manager": [*_EDIT_CATALOGUE, "sales.import_product", "sales.give_large_discount"],
    "marketing": ["sales.view_product", "sales.view_productcategory"],
    "finance": _READ_CATALOGUE,
    "administrator": [
        *(
            f"sales.{action}_{model}"
            for model in [*_CATALOGUE, "salessettings"]
            for action in ("view", "add", "change", "delete")
        ),
        "sales.import_product",
        "sales.give_large_discount",
    ],
}

_OPPORTUNITY = [f"sales.{a}_opportunity" for a in ("view", "add", "change")]
_READ_SETUP = ["sales.view_stage", "sales.view_subcontractor"]

OPPORTUNITY_GRANTS = {
    "sales_rep": [*_OPPORTUNITY, *_READ_SETUP],
    "sales_manager": [*_OPPORTUNITY, *_READ_SETUP, "sales.add_subcontractor"],
    "finance": ["sales.view_opportunity", *_READ_SETUP],
    "administrator": [
        *(
            f"sales.{action}_{model}"
            for model in ["opportunity", "stage", "subcontractor"]
            for action in ("view", "add", "change", "delete")
        ),
    ],
}

_QUOTE = [f"sales.{a}_quote" for a in ("view", "add", "change")]

QUOTE_GRANTS = {
    "sales_rep": _QUOTE,
    "sales_manager": _QUOTE,
    "finance": ["sales.view_quote"],
    "administrator": [f"sales.{a}_quote" for a in ("view", "add", "change", "delete")],
}

_ORDER = [
    f"sales.{action}_{model}"
    for model in ("order", "delivery")
    for action in ("view", "add", "change")
]

ORDER_GRANTS = {
    "sales_rep": _ORDER,
    "sales_manager": _ORDER,
    "finance": ["sales.view_order", "sales.view_delivery"],
    "administrator": [
        f"sales.{action}_{model}"
        for model in ("order", "delivery")
        for action in ("view", "add", "change", "delete")
    ],
}

# Reps issue invoices; managers and finance also record payments and cancel (storno); finance
# sees every invoice of its company.
_INVOICE = [f"sales.{a}_invoice" for a in ("view", "add")]
_SETTLE_INVOICE = [*_INVOICE, "sales.change_invoice", "sales.cancel_invoice"]

INVOICE_GRANTS = {
    "sales_rep": _INVOICE,
    "sales_manager": _SETTLE_INVOICE,
    "finance": [*_SETTLE_INVOICE, "sales.view_all_invoice"],
    "administrator": [
        *_SETTLE_INVOICE,
        "sales.view_all_invoice",
        "sales.view_invoicesettings",
        "sales.add_invoicesettings",
        "sales.change_invoicesettings",
    ],
}
