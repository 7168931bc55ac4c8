"""The partner functions of the default permission groups (data migration partners/0002)."""

_EDIT = ["view", "add", "change"]
_REP = [
    *(f"partners.{a}_partner" for a in _EDIT),
    *(f"partners.{a}_contact" for a in _EDIT),
    "partners.import_partner",
    "partners.view_consent",
    "partners.add_consent",
]
_CONFIG_MODELS = ["attributedefinition", "contacttype", "industry", "tag"]

PARTNER_GRANTS = {
    "sales_rep": _REP,
    "sales_manager": [
        *_REP,
        "partners.assign_partner",
        "partners.delete_contact",
        "partners.view_tag",
        "partners.add_tag",
        "partners.change_tag",
        "partners.view_partnerfinancials",
    ],
    # Marketing maintains the registry (the brochure): it adds and changes partners, contacts,
    # partner groups (tags) and the user-defined attributes, but deletes nothing and hands no
    # partner over to other owners (migration partners/0011 gave existing databases the rest).
    "marketing": [
        "partners.view_partner",
        "partners.view_all_partner",
        "partners.add_partner",
        "partners.change_partner",
        "partners.view_attributedefinition",
        "partners.add_attributedefinition",
        "partners.change_attributedefinition",
        "partners.view_contact",
        "partners.change_contact",
        "partners.add_contact",
        "partners.import_partner",
        "partners.view_consent",
        "partners.add_consent",
        "partners.view_tag",
        "partners.add_tag",
        "partners.change_tag",
    ],
    "finance": [
        "partners.view_partner",
        "partners.view_contact",
        "partners.change_partner",
        "partners.view_partnerfinancials",
    ],
    "administrator": [
        *(
            f"partners.{action}_{model}"
            for model in ["partner", "contact", "consent", *_CONFIG_MODELS]
            for action in ("view", "add", "change", "delete")
        ),
        "partners.view_all_partner",
        "partners.assign_partner",
        "partners.import_partner",
        "partners.view_partnerfinancials",
    ],
}
