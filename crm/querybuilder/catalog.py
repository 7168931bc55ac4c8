"""What the builder page offers a user: the bases, fields and relations they may ask about
(those needing a function they lack are left out), with the operators of each field's type."""

from .registry import allowed, queryables
from .spec import FNS, OP_LABELS, OPS, TRUNCS
from .values import RELATIVE


def _field(f) -> dict:
    return {
        "key": f.key,
        "label": str(f.label),
        "type": f.type,
        "ops": OPS[f.type] if f.filterable else [],
        "choices": [[v, label] for v, label in f.choice_pairs()] if f.type == "choice" else None,
        "sortable": f.sortable and not f.many,
        "groupable": f.groupable and not f.many,
        "aggregatable": f.type in ("number", "money") and not f.many,
        "many": f.many,
    }


def _colleagues(user) -> list[list]:
    """The active users of the user's current company, family name first: the choices of
    "handler is …" and the other user fields."""
    from django.contrib.auth import get_user_model

    from crm.scoping import current_company_id

    company_id = current_company_id(user)
    users = get_user_model().objects.filter(is_active=True)
    users = users.filter(memberships__company_id=company_id) if company_id else users.none()
    return [[u.pk, str(u)] for u in users.order_by("last_name", "first_name", "pk")]


def catalog(user) -> dict:
    entities = {}
    for entity in queryables.ordered():
        entities[entity.key] = {
            "label": str(entity.label),
            "fields": [_field(f) for f in entity.all_fields() if allowed(user, f)],
            "relations": [
                {"key": r.key, "label": str(r.label), "target": r.target, "many": r.many}
                for r in entity.relations
                if allowed(user, r) and queryables.get(r.target) is not None
            ],
            "default_columns": list(entity.default_columns),
        }
    bases = [
        {"key": e.key, "label": str(e.label)}
        for e in queryables.ordered()
        if e.base and e.may_use(user)
    ]
    return {
        "bases": bases,
        "entities": entities,
        "ops": {key: str(label) for key, label in OP_LABELS.items()},
        "relative": [[key, str(label)] for key, label in RELATIVE],
        "truncs": [[key, str(label)] for key, label in TRUNCS.items()],
        "fns": [[key, str(label)] for key, label in FNS.items()],
        "users": _colleagues(user),
    }
