"""The parameters a saved query asks when it is run (filters with ``ask: true`` and a
``param`` name): found in the spec with their field's label, type and choices from the user's
catalog, and read back from the run form's ``p_<name>`` fields."""

from dataclasses import dataclass, field

# Groups inside groups looked through for asked parameters (the engine allows fewer).
MAX_NESTING = 12


@dataclass
class Param:
    """A filter's value asked when the query is run (``ask: true`` and ``param``)."""

    name: str
    label: str
    op: str
    type: str
    choices: list = field(default_factory=list)
    value: object = None  # the saved value, or what the user gave

    @property
    def many(self) -> bool:
        return self.op in ("in", "not_in")

    @property
    def pair(self) -> bool:
        return self.op == "between"

    @property
    def values(self) -> list:
        value = self.value
        if value in (None, ""):
            return []
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]

    @property
    def first(self) -> str:
        return self.values[0] if self.values else ""

    @property
    def second(self) -> str:
        return self.values[1] if len(self.values) > 1 else ""


def field_info(cat: dict, entity: str, path: str) -> dict | None:
    """The catalog's field for a path of the entity ("city", or "partner.city" along a to-one
    relation), or None when the catalog does not offer it to this user."""
    entities = cat.get("entities", {})
    parts = str(path).split(".")
    for rel in parts[:-1]:
        relations = {r["key"]: r for r in entities.get(entity, {}).get("relations", [])}
        if rel not in relations:
            return None
        entity = relations[rel]["target"]
    for item in entities.get(entity, {}).get("fields", []):
        if item["key"] == parts[-1]:
            return item
    return None


def asked(spec: dict, cat: dict | None = None) -> list[Param]:
    """The parameters the spec asks when run, in the order of its filters, each name once;
    with the catalog (``cat``), each with its field's label, type and choices. Nesting deeper
    than the engine allows is left to the engine to refuse."""
    found: dict[str, Param] = {}
    entities = (cat or {}).get("entities", {})

    def walk(group, entity, depth=0):
        if not isinstance(group, dict) or depth > MAX_NESTING:
            return
        items = group.get("items")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            if "items" in item:
                walk(item, entity, depth + 1)
            elif "relation" in item:
                relations = {r["key"]: r for r in entities.get(entity, {}).get("relations", [])}
                target = relations.get(item.get("relation"), {}).get("target")
                walk(item.get("filter"), target, depth + 1)
            elif item.get("ask") and item.get("param"):
                name = str(item["param"])
                if name in found:
                    continue
                info = (field_info(cat, entity, item.get("field", "")) if cat else None) or {}
                choices = cat.get("users") if info.get("type") == "user" else info.get("choices")
                found[name] = Param(
                    name=name,
                    label=info.get("label") or name,
                    op=str(item.get("op", "")),
                    type=info.get("type", "text"),
                    choices=choices or [],
                    value=item.get("value"),
                )

    walk(spec.get("filter"), spec.get("base"))
    return list(found.values())


def params_from(data, asked: list[Param]) -> dict:
    """The run's parameters from ``p_<name>`` fields (a list for "between" and "in"); a
    parameter left empty keeps the saved value."""
    params = {}
    for param in asked:
        values = [v for v in data.getlist(f"p_{param.name}") if v.strip()]
        if not values:
            continue
        params[param.name] = values if (param.many or param.pair) else values[0]
        param.value = params[param.name]
    return params
