"""The generator's functions of the default permission groups (data migration documents/0004):
managers and administrators keep the templates and packs; generating needs only
``documents.add_document`` (and a template one may read)."""

_KEEP = [
    f"documents.{action}_{model}"
    for model in ("documenttemplate", "pack", "packitem", "packfield")
    for action in ("view", "add", "change", "delete")
]

GENERATOR_GRANTS = {"sales_manager": _KEEP, "administrator": _KEEP}
