"""The document functions of the default permission groups (data migration documents/0002)."""

_WORK = ["documents.view_document", "documents.add_document", "documents.change_document"]
_FOLDERS = [
    f"documents.{action}_{model}"
    for model in ("folder", "foldergrant")
    for action in ("view", "add", "change", "delete")
]

DOCUMENT_GRANTS = {
    "sales_rep": _WORK,
    # managers see who downloaded what (the audit) and may delete
    "sales_manager": [
        *_WORK,
        "documents.delete_document",
        "documents.view_documentevent",
    ],
    "marketing": _WORK,
    "finance": ["documents.view_document"],
    "administrator": [
        *_WORK,
        "documents.delete_document",
        "documents.view_all_document",
        "documents.restore_document",
        "documents.view_documentevent",
        *_FOLDERS,
    ],
}
