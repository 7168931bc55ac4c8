"""Partner and contact screens. Every query starts from ``visible_to`` / ``editable_by``; the
views parse input, call a queryset method or a service, and render (the full page, or only the
fragment when HTMX asks)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from crm import access, keyset
from crm.edits import add_errors, save_edit
from crm.fragments import filters_key
from crm.hierarchy import scope_owner_ids, subordinate_ids
from crm.scoping import (
    SEE_ALL,
    current_company_id,
    get_editable_or_403,
    get_visible_or_404,
    reaches_as_for_viewing,
    scope_for,
)
from crm.search import providers
from crm.sections import contact_sections, partner_tabs

from . import attributes, reference, services, tables
from .financials import financials_formset, registry_rows_into
from .forms import (
    AssignForm,
    ContactFilterForm,
    ContactForm,
    PartnerFilterForm,
    PartnerForm,
    address_formset,
)
from .history import contact_history, partner_history
from .models import (
    STATUS_COLOURS,
    AttributeTarget,
    ColumnChoice,
    Consent,
    ConsentSource,
    Contact,
    Partner,
    PartnerOwner,
    PartnerStatus,
    Status,
    attach_roles,
    small_scope_contact_count,
    small_scope_contact_window,
    visibility_count,
    visibility_window,
)
from .nav_views import warn_if_unchecked
from .search import search_box

PAGE_SIZE = 50
# The lists count their rows up to this many ("more than 1 000 partners" past it): a count
# reads that many index entries at most (make bench: 10,000 cost the list pages ~10 ms of p95).
COUNT_CAP = 1_000
SEARCH_LIMIT = 8

SORTS = {"name": ["name", "id"], "city": ["city", "name", "id"], "-created": ["-id"]}


def _company_id(request) -> int | None:
    return current_company_id(request.user)


class Person:
    """Someone offered in an owner filter: an id and a name (from the access profile)."""

    def __init__(self, pk: int, name: str):
        self.pk, self.name = pk, name

    def __str__(self) -> str:
        return self.name


def _owner_choices(user, *, light: bool = False):
    """The people the user may filter or assign by: everybody in the company for "see all"
    users, else the user and their subordinates. ``light``: ``Person`` objects from the
    request's access profile (no query), for filters; else users."""
    sees_all = (
        user.is_superuser or user.has_perm(SEE_ALL) or user.has_perm("partners.view_all_partner")
    )
    known = access.colleagues(user) if light else None
    if known is not None:
        mine = None if sees_all else scope_owner_ids(user)
        return [Person(pk, name) for pk, name in known if mine is None or pk in mine]
    User = get_user_model()
    company_id = current_company_id(user)
    people = User.objects.filter(is_active=True, memberships__company_id=company_id)
    if not sees_all:
        people = people.filter(pk__in=scope_owner_ids(user))
    return list(people.order_by("last_name", "first_name").distinct())


def _colleagues(user) -> list:
    """The active people of the user's current company (the responsible-user filter's
    choices), from the request's access profile when it holds them."""
    known = access.colleagues(user)
    if known is None:
        company_id = current_company_id(user)
        people = get_user_model().objects.filter(is_active=True, memberships__company_id=company_id)
        known = [(u.pk, str(u)) for u in people.order_by("last_name", "first_name", "pk")]
    return [Person(pk, name) for pk, name in known]


def _sees_partners_of(user) -> bool:
    """True when every partner that a person offered by ``_owner_choices`` (or one of their
    subordinates) owns in the user's company is visible to the user: those people are all in
    the user's hierarchy scope, or the user sees every partner."""
    scope = scope_for(user, Partner, "view")
    if scope.nothing:
        return False
    return scope.everything or scope.owner_ids is None or bool(scope.owner_ids)


def _columns(user, screen: str, available: dict, default: list[str]) -> list[str]:
    chosen = reference.column_choice(user, screen)
    return [c for c in (default if chosen is None else chosen) if c in available]


def _list_rows(user, company_id, keys: list[int], columns: dict) -> list:
    """The list's rows for ``keys``, in their order (``tables.ListRow``), with the creation
    time and the attributes only when a chosen column (``_column_context``) shows them."""
    full = any(key == "created" or key.startswith("attr:") for key in columns["chosen"])
    return tables.fetch_rows(company_id, keys, people=access.colleagues(user), full=full)


def _decorate(partner) -> None:
    status = partner.company_status or Status.POTENTIAL
    partner.status_label = Status(status).label
    partner.status_colour = STATUS_COLOURS[status]


def _place_and_tag_filters(queryset, filters: dict, *, via: str = ""):
    """The county, city and tag filters, on partners or (``via="partner__"``) on their rows."""
    if filters.get("county"):
        queryset = queryset.filter(**{f"{via}county": filters["county"]})
    if filters.get("city"):
        queryset = queryset.filter(**{f"{via}city__iexact": filters["city"].strip()})
    if filters.get("tag"):
        queryset = queryset.filter(**{f"{via}tags": filters["tag"]})
    return queryset


def _attribute_filters(queryset, form, request):
    """The user-defined attribute filters of a list form (JSON containment, GIN-indexed)."""
    for name, definition in getattr(form, "attribute_definitions", {}).items():
        raw = request.GET.get(name, "")
        condition = attributes.filter_q(definition, raw) if raw else None
        if condition is not None:
            queryset = queryset.filter(condition)
    return queryset


class ListQuery:
    """What a partner list request asks for: its filter form, the valid filters, the order,
    the owners it may filter by and the chosen columns (the list and its export share it)."""

    def __init__(self, request):
        self.user = request.user
        self.company_id = _company_id(request)
        self.owners = _owner_choices(self.user, light=True)
        self.columns = _column_context(self.user, "partners")
        self.form = PartnerFilterForm(request.GET or None, owners=self.owners)
        self.form.is_valid()  # an invalid filter is reported and ignored; the valid ones apply
        self.filters = getattr(self.form, "cleaned_data", {})
        self.order = SORTS.get(self.filters.get("sort") or "name", SORTS["name"])


@login_required
def partner_list(request):
    query = ListQuery(request)
    user, company_id, columns = query.user, query.company_id, query.columns
    form, filters = query.form, query.filters
    before = request.GET.get("before", "")
    by_index = _visibility_path(user, filters, query.owners, form, request, company_id)
    if by_index is not None:
        viewer, arguments = by_index
        back = keyset.decode(before)
        keys, following, previous = visibility_window(
            viewer_id=viewer,
            company_id=company_id,
            size=PAGE_SIZE,
            before=back if back and len(back) == 2 else None,
            **arguments,
        )
        count = _count(
            lambda: visibility_count(
                viewer_id=viewer,
                company_id=company_id,
                cap=COUNT_CAP,
                owner_id=arguments.get("owner_id"),
                status=arguments["status"],
            )
        )
        pages = tuple(keyset.encode(v) if v else None for v in (following, previous))
    else:
        queryset = filtered_partners(request, query)
        keys, *pages = keyset.page_window(
            queryset,
            order=query.order,
            after=filters.get("after", ""),
            before=before,
            size=PAGE_SIZE,
        )
        count = _count(lambda: keyset.capped_count(queryset, COUNT_CAP))
    rows = _list_rows(user, company_id, keys, columns)
    return _render_list(request, form, rows, pages, columns, count)


def filtered_partners(request, query: ListQuery):
    """The partners of the list's filters among those the user may see (unordered)."""
    user, company_id, filters = query.user, query.company_id, query.filters
    owners = query.owners
    queryset = Partner.objects.visible_to(user)
    if filters.get("owner"):
        owner = next((o for o in owners if o.pk == filters["owner"]), None)
        people = [filters["owner"]]
        if owner is not None and filters.get("subtree"):
            people += sorted(subordinate_ids(owner))
        if owner is not None and _sees_partners_of(user):
            # Everything these people own is visible to the user, so the scope condition would
            # only repeat the filter (and mislead the planner): the filter alone decides.
            queryset = Partner.objects.all()
        queryset = queryset.owned_by(company_id=company_id, people=people)
    if filters.get("q"):
        scope = scope_for(user, Partner, "view")
        everything = scope.everything or scope.owner_ids is None
        queryset = queryset.search(
            filters["q"], restricted=bool(filters.get("owner")) or not everything
        )
    if filters.get("status") in (Status.ACTIVE, Status.INACTIVE):
        queryset = queryset.filter(
            Exists(
                PartnerStatus.objects.filter(
                    partner=OuterRef("pk"), company_id=company_id, status=filters["status"]
                )
            )
        )
    elif filters.get("status") == Status.POTENTIAL:
        queryset = queryset.exclude(
            Exists(PartnerStatus.objects.filter(partner=OuterRef("pk"), company_id=company_id))
        )
    if filters.get("industry"):
        queryset = queryset.filter(industry=filters["industry"])
    queryset = _place_and_tag_filters(queryset, filters)
    queryset = _attribute_filters(queryset, query.form, request)
    return queryset


def _visibility_path(user, filters, owners, form, request, company_id):
    """(viewer, arguments of ``visibility_window``) when the page can be read from the visibility
    index in name order: sorted by name, filtered at most by owner (and team) and status, and
    the partners in question are exactly one person's entries: the user's own (reached by
    hierarchy), or the chosen owner's when the user sees everything that owner's team owns.
    None otherwise (the general query)."""
    if (filters.get("sort") or "name") != "name" or company_id is None:
        return None
    if any(filters.get(k) for k in ("q", "industry", "county", "city", "tag")):
        return None
    if any(request.GET.get(name) for name in getattr(form, "attribute_definitions", {})):
        return None
    arguments = {"after": keyset.decode(filters.get("after", "")), "status": ""}
    if arguments["after"] is not None and len(arguments["after"]) != 2:
        arguments["after"] = None
    if filters.get("status") in (Status.ACTIVE, Status.INACTIVE, Status.POTENTIAL):
        arguments["status"] = filters["status"]
    if filters.get("owner"):
        owner = next((o for o in owners if o.pk == filters["owner"]), None)
        if owner is None or not _sees_partners_of(user):
            return None
        if not filters.get("subtree"):
            arguments["owner_id"] = owner.pk
        return owner.pk, arguments
    scope = scope_for(user, Partner, "view")
    if scope.everything or scope.owner_ids is None or not scope.owner_ids:
        return None
    if scope.granted is not None:
        return None
    return user.pk, arguments


def _page_links(query, pages) -> dict:
    """The "Next page" and "Previous page" addresses: the filters of ``query`` (without the
    cursors) and the cursor after the page's last row or before its first."""
    following, previous = pages
    return {
        "next_url": f"?{query.urlencode()}&after={following}" if following else "",
        "prev_url": f"?{query.urlencode()}&before={previous}" if previous else "",
    }


def _count(count) -> int | None:
    """A list's capped count when it costs little (``settings.LIST_COUNT_MILLISECONDS``); None
    (no count shown) when it would take longer, e.g. a status filter over a director's whole
    tree, where ``count(*)`` must test tens of thousands of partners to find 10,001."""
    return keyset.count_within(count, milliseconds=settings.LIST_COUNT_MILLISECONDS)


def _count_text(count: int | None, *, contacts: bool = False) -> str:
    """ "1 234 partners", or "more than 1 000 partners" past ``COUNT_CAP``."""
    if count is None:
        return ""
    if count > COUNT_CAP:
        cap = number_format(COUNT_CAP, use_l10n=True, force_grouping=True)
        text = _("more than %(count)s contacts") if contacts else _("more than %(count)s partners")
        return text % {"count": cap}
    shown = number_format(count, use_l10n=True, force_grouping=True)
    if contacts:
        return ngettext("%(count)s contact", "%(count)s contacts", count) % {"count": shown}
    return ngettext("%(count)s partner", "%(count)s partners", count) % {"count": shown}


def _render_list(request, form, rows, pages, columns: dict, count: int | None):
    user = request.user
    context = dict(columns)
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    context |= _page_links(query, pages)
    context |= {
        "count_text": _count_text(count),
        "form": form,
        "rows": rows,
        "body": tables.render_rows(rows, context["columns"]),
        # what the filters (partials/partner_filters.html) are drawn from, beside the user,
        # access generation, language and company (crm.fragments)
        "filters_key": filters_key(request),
        "can_add": user.has_perm("partners.add_partner"),
        "import_url": _import_url(user),
    }
    context |= _export_urls(request, "partners:export", "partners.view_partner", query)
    if request.htmx and not request.htmx.boosted:
        return render(request, "partners/partials/partner_rows.html", context)
    return render(request, "partners/partner_list.html", context)


def _export_urls(request, name: str, permission: str, query) -> dict:
    """The export buttons' addresses with the list's current filters (``query``: without the
    page cursor), none for a user who may not view the records."""
    if not request.user.has_perm(permission):
        return {"export_xlsx": "", "export_csv": ""}
    suffix = f"?{query.urlencode()}" if query else ""
    return {f"export_{fmt}": reverse(name, args=[fmt]) + suffix for fmt in ("xlsx", "csv")} | {
        "oob": bool(request.htmx and not request.htmx.boosted)
    }


def _import_url(user) -> str:
    if not user.has_perm("partners.import_partner"):
        return ""
    try:
        return reverse("partners:import-upload")
    except NoReverseMatch:  # the import screens are not installed
        return ""


@login_required
@require_POST
def columns_save(request, screen: str):
    """Saves the user's choice of columns for a list (unknown columns are dropped)."""
    if screen not in tables.SCREENS:
        raise PermissionDenied
    available, _default = tables.SCREENS[screen]
    chosen = [c for c in request.POST.getlist("columns") if c in available()]
    ColumnChoice.objects.update_or_create(
        user=request.user, screen=screen, defaults={"columns": chosen}
    )
    return redirect("partners:list" if screen == "partners" else "partners:contacts")


def _column_context(user, screen: str) -> dict:
    """The chosen columns of a list and what the column chooser offers."""
    available_of, default = tables.SCREENS[screen]
    available = available_of()
    columns = [available[key] for key in _columns(user, screen, available, default)]
    chosen = {c.key for c in columns}
    return {
        "columns": columns,
        "available_columns": available.values(),
        "chosen": chosen,
        "screen": screen,
        # what the "Columns" menu is drawn from (crm.fragments): it is drawn once per worker
        "chooser_key": (
            screen,
            tuple((c.key, str(c.label), c.key in chosen) for c in available.values()),
        ),
    }


# The partner page's own tabs, with their places among those other apps add
# (crm.sections.partner_tabs).
TABS = {"overview": (gettext_lazy("Overview"), 0), "contacts": (gettext_lazy("Contacts"), 10)}
LAST_TABS = {"history": (gettext_lazy("History"), 90)}


def _tabs(user) -> dict:
    """The tabs ``user`` sees, in order: key → (label, the other app's section or None)."""
    entries = [(order, key, label, None) for key, (label, order) in (TABS | LAST_TABS).items()]
    entries += [(s.order, s.key, s.label, s) for s in partner_tabs.for_user(user)]
    return {key: (label, section) for _order, key, label, section in sorted(entries)}


def _partner_history(partner, company_id: int | None, limit: int = 200) -> list[dict]:
    """The partner's own changes, its tags and addresses, and its owners in the user's company
    coming and going, newest first, as people read them (partners/history.py)."""
    return partner_history(partner, limit=limit, company_id=company_id)


def _contact_history(contact, limit: int = 50) -> list[dict]:
    """The contact's changes, newest first, as people read them (partners/history.py)."""
    return contact_history(contact, limit=limit)


@login_required
def partner_detail(request, pk: int):
    user = request.user
    company_id = _company_id(request)
    tabs = _tabs(user)
    tab = request.GET.get("tab", "overview")
    if tab not in tabs:
        tab = "overview"
    partner = Partner.objects.page_for(
        user, company_id=company_id, pk=pk, overview=tab == "overview"
    )
    if partner is None:  # missing or not visible: the same answer
        raise Http404
    _decorate(partner)
    context = {
        "partner": partner,
        "tab": tab,
        "can_edit": reaches_as_for_viewing(user, Partner, "change")
        or Partner.objects.editable_by(user).filter(pk=pk).exists(),
        "can_assign": user.has_perm("partners.assign_partner"),
        "can_add_contact": user.has_perm("partners.add_contact"),
    }
    if tab == "overview":
        context.update(
            attribute_values=attributes.displayed(AttributeTarget.PARTNER, partner.attributes),
            **partner.overview,
        )
    elif tab == "contacts":
        context.update(
            contacts=attach_roles(
                partner.contacts.order_by("family_name", "given_name", "id")[:200]
            ),
            contact_form=ContactForm(prefix="quick") if context["can_add_contact"] else None,
        )
    elif tab == "history":
        context["history"] = _partner_history(partner, company_id)
    else:
        section = tabs[tab][1]
        # drawn by the page ({% page_section %}): the context processors run once
        context["tab_section"] = (
            section.template,
            section.context(request, partner) | {"partner": partner},
        )
    context["tabs"] = [(key, label) for key, (label, _section) in tabs.items()]
    return render(request, "partners/partner_detail.html", context)


@login_required
def partner_create(request):
    if not request.user.has_perm("partners.add_partner"):
        raise PermissionDenied
    form = PartnerForm(request.POST or None)
    addresses = address_formset(request.POST or None)
    financials = financials_formset(request.POST or None)
    valid = form.is_valid() & financials.usable()  # both, so every error shows at once
    if request.method == "POST" and valid and addresses.usable():
        partner = form.save(commit=False)
        try:
            services.partner_create(
                user=request.user,
                partner=partner,
                tags=form.cleaned_data.get("tags") or (),
                addresses=addresses.addresses(),
                financials=financials.rows(),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Partner saved."))
            warn_if_unchecked(request, form)
            return redirect("partners:detail", pk=partner.pk)
    return render(
        request,
        "partners/partner_form.html",
        {
            "form": form,
            "addresses": addresses,
            "financials": financials,
            **_duplicate_context(request, form.duplicates),
            "registry_enabled": _registry_enabled(),
        },
    )


@login_required
def partner_edit(request, pk: int):
    partner = get_editable_or_403(Partner, request.user, pk=pk)
    form = PartnerForm(request.POST or None, instance=partner)
    addresses = address_formset(request.POST or None, partner)
    financials = financials_formset(request.POST or None, partner)
    conflict = None
    valid = form.is_valid() & financials.usable()  # both, so every error shows at once
    if request.method == "POST" and valid and addresses.usable():
        instance = form.save(commit=False)
        fields = [*PartnerForm.Meta.fields, "attributes"]
        fields.remove("tags")
        done, conflict = save_edit(
            request,
            form,
            lambda: services.partner_update(
                user=request.user,
                partner=instance,
                fields=fields,
                expected_version=form.cleaned_data.get("base_version") or partner.version,
                tags=form.cleaned_data.get("tags"),
                addresses=addresses.addresses(),
                financials=financials.rows(),
            ),
            gone_url="partners:list",
        )
        if done:
            if done is True:
                warn_if_unchecked(request, form)
            return redirect("partners:detail", pk=pk) if done is True else done
    return render(
        request,
        "partners/partner_form.html",
        {
            "form": form,
            "addresses": addresses,
            "financials": financials,
            "visible": _visible_ids(request.user, form.duplicates),
            "free": set(),  # taking another partner on is offered on the create form only
            "partner": partner,
            "conflict": conflict,
            "conflict_values": [
                (Partner._meta.get_field(name).verbose_name, getattr(conflict.current, name))
                for name in conflict.changed_fields
            ]
            if conflict and conflict.current
            else [],
            "registry_enabled": False,
        },
    )


@login_required
def partner_duplicates(request):
    """The live duplicate warning of the create form (HTMX, as the user types)."""
    if not request.user.has_perm("partners.add_partner"):
        raise PermissionDenied
    from crm.validators import normalise_tax_number

    tax = request.GET.get("tax_number", "")
    try:
        tax = normalise_tax_number(tax) if tax.strip() else None
    except ValidationError:
        tax = None
    found = services.duplicates_of(name=request.GET.get("name", ""), tax_number=tax)
    return render(
        request,
        "partners/partials/duplicates.html",
        {"duplicates": found, **_duplicate_context(request, found)},
    )


def _duplicate_context(request, found) -> dict:
    """Which duplicates the user may open, and which they may take on for their company (no
    owner there: partners.services.partner_take_on)."""
    visible = _visible_ids(request.user, found)
    hidden = [p for p in found if p.pk not in visible]
    return {"visible": visible, "free": services.partners_free_in(_company_id(request), hidden)}


@login_required
@require_POST
def partner_take_on(request, pk: int):
    """ "Take it on for my company": from the duplicate warning of the create form."""
    if not request.user.has_perm("partners.add_partner"):
        raise PermissionDenied
    partner = Partner.objects.only("pk", "name").filter(pk=pk).first()
    if partner is None:
        raise Http404
    try:
        company = services.acting_company(request.user)
        services.partner_take_on(partner=partner, user=request.user, company=company)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("partners:create")
    messages.success(request, _("%(name)s is your partner now.") % {"name": partner.name})
    return redirect("partners:detail", pk=partner.pk)


def _visible_ids(user, partners) -> set[int]:
    """Which of ``partners`` the user may open: a duplicate warning names the others but does
    not link them."""
    if not partners:
        return set()
    return set(
        Partner.objects.visible_to(user)
        .filter(pk__in=[p.pk for p in partners])
        .values_list("pk", flat=True)
    )


def _registry_enabled() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "COMPANY_INFO_URL", ""))


@login_required
@require_POST
def partner_registry_fill(request):
    """ "Fill from registry": looks the tax number up at the company-information service and
    re-renders the create form with its answer; on any error the form stays as it was, with
    the reason above it."""
    if not request.user.has_perm("partners.add_partner"):
        raise PermissionDenied
    from crm.integrations import companyinfo

    from .models import Industry

    data = request.POST.copy()
    info = None
    try:
        info = companyinfo.lookup(data.get("tax_number", ""))
    except ValidationError as error:
        form = PartnerForm(data)
        form.is_valid()
        form.errors.clear()
        form.add_error("tax_number", error.messages)
        message = None
    except companyinfo.CompanyInfoError as error:
        form = PartnerForm(data)
        message = str(error.message)
    else:
        data["tax_number"] = info.tax_number
        data["name"] = info.name
        if info.short_name:
            data["short_name"] = info.short_name
        if info.registration_number:
            data["registration_number"] = info.registration_number
        if info.eu_vat_number:
            data["eu_vat_number"] = info.eu_vat_number
        if info.seat:
            data["postcode"] = info.seat.postcode
            data["city"] = info.seat.city
            data["street"] = info.seat.street
            county = _county_code(info.seat.county)
            if county:
                data["county"] = county
        if info.teaor_code:
            industry, _created = Industry.objects.get_or_create(
                code=info.teaor_code, defaults={"name_hu": info.teaor_name or info.teaor_code}
            )
            data["industry"] = str(industry.pk)
        if info.headcount is not None:
            data["headcount"] = str(info.headcount)
        registry_rows_into(data, info.financials)
        form = PartnerForm(data)
        message = None
    return render(
        request,
        "partners/partials/partner_form_body.html",
        {
            "form": form,
            "addresses": address_formset(request.POST),
            "financials": financials_formset(data),
            "registry_error": message,
            "registry_enabled": True,
            "registry_info": info,
        },
    )


def _county_code(name: str) -> str:
    from .models import County

    lowered = (name or "").strip().lower()
    for value, label in County.choices:
        if lowered in (value.lower(), label.lower(), label.lower() + " megye"):
            return value
    return ""


@login_required
def partner_assign(request, pk: int):
    if not request.user.has_perm("partners.assign_partner"):
        raise PermissionDenied
    partner = get_editable_or_403(Partner, request.user, pk=pk)
    company_id = _company_id(request)
    users = _owner_choices(request.user)
    current = list(
        PartnerOwner.objects.filter(partner=partner, company_id=company_id).values_list(
            "user_id", flat=True
        )
    )
    form = AssignForm(request.POST or None, users=users, initial={"owners": current})
    if request.method == "POST" and form.is_valid():
        from crm.models import Company

        chosen = [form.users[pk] for pk in form.cleaned_data["owners"]]
        # Owners outside the user's reach are kept: one can only hand over within one's team.
        keep = [pk for pk in current if pk not in form.users]
        services.partner_assign(
            partner=partner,
            company=Company.objects.get(pk=company_id),
            users=chosen + list(get_user_model().objects.filter(pk__in=keep)),
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Owners saved."))
        return redirect("partners:detail", pk=pk)
    return render(request, "partners/partner_assign.html", {"form": form, "partner": partner})


# ----------------------------------------------------------------------------- contacts


@login_required
def contact_list(request):
    company_id = _company_id(request)
    form = contact_filter_form(request)
    filters = getattr(form, "cleaned_data", {})
    queryset = filtered_contacts(request, form, filters, company_id)
    order = ["family_name", "given_name", "id"]
    before = request.GET.get("before", "")
    page = None
    unfiltered = not any(
        filters.get(k) for k in ("q", "type", "owner", "responsible", "county", "city", "tag")
    )
    if (
        unfiltered
        and request.user.has_perm("partners.view_contact")
        and not any(request.GET.get(n) for n in getattr(form, "attribute_definitions", {}))
    ):
        after, back = (keyset.decode(v) for v in (filters.get("after", ""), before))
        page = small_scope_contact_window(
            request.user,
            after=after if after and len(after) == 3 else None,
            before=back if back and len(back) == 3 else None,
            size=PAGE_SIZE,
        )
    context = _column_context(request.user, "contacts")
    if "responsible" in context["chosen"]:  # the column shows the name: same query, one join
        queryset = queryset.select_related("responsible")
    if page is None:
        keys, *pages = keyset.page_window(
            queryset, order=order, after=filters.get("after", ""), before=before, size=PAGE_SIZE
        )
        count = _count(lambda: keyset.capped_count(queryset, COUNT_CAP))
    else:  # a small scope's page, read from its partners' contacts (partners.models)
        keys, *values = page
        pages = [keyset.encode(v) if v else None for v in values]
        count = _count(lambda: small_scope_contact_count(request.user, cap=COUNT_CAP))
    rows = keyset.rows_by_key(queryset, keys)
    rows = _mark_partner_links(request.user, attach_roles(rows))
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    context |= _page_links(query, pages)
    context |= {
        "form": form,
        "rows": rows,
        "body": tables.render_contact_rows(rows, context["columns"]),
        "filters_key": filters_key(request),  # as the partner list's (_render_list)
        "count_text": _count_text(count, contacts=True),
    }
    context |= _export_urls(request, "partners:contacts-export", "partners.view_contact", query)
    if request.htmx and not request.htmx.boosted:
        return render(request, "partners/partials/contact_rows.html", context)
    return render(request, "partners/contact_list.html", context)


def contact_filter_form(request) -> ContactFilterForm:
    form = ContactFilterForm(
        request.GET or None,
        owners=_owner_choices(request.user, light=True),
        responsibles=_colleagues(request.user),
    )
    form.is_valid()  # an invalid filter is reported and ignored; the valid ones apply
    return form


def filtered_contacts(request, form, filters: dict, company_id):
    """The contacts of the list's filters among those the user may see (with their partner,
    unordered); none without the permission to view contacts."""
    queryset = Contact.objects.visible_to(request.user).select_related("partner")
    if not request.user.has_perm("partners.view_contact"):
        queryset = queryset.none()
    if filters.get("q"):
        queryset = queryset.search(filters["q"])
    if filters.get("type"):
        queryset = queryset.filter(roles__type=filters["type"])
    if filters.get("owner"):
        queryset = queryset.filter(
            Exists(
                PartnerOwner.objects.filter(
                    partner=OuterRef("partner"), company_id=company_id, user_id=filters["owner"]
                )
            )
        )
    if filters.get("responsible"):
        queryset = queryset.filter(responsible_id=filters["responsible"])
    queryset = _place_and_tag_filters(queryset, filters, via="partner__")
    queryset = _attribute_filters(queryset, form, request)
    return queryset


def _mark_partner_links(user, rows: list) -> list:
    """Rows seen only through their responsible user show their partner without a link (it
    would answer 404): one query when a row has a responsible user, none otherwise."""
    maybe = {c.partner_id for c in rows if c.responsible_id is not None}
    seen = set()
    if maybe:
        partners = Partner.objects.visible_to(user).filter(pk__in=maybe)
        seen = set(partners.values_list("pk", flat=True))
    for c in rows:
        c.partner_linked = c.responsible_id is None or c.partner_id in seen
    return rows


def _visible_contact(request, pk: int) -> Contact:
    if not request.user.has_perm("partners.view_contact"):
        raise PermissionDenied
    return get_visible_or_404(
        Contact.objects.select_related("partner", "responsible"), request.user, pk=pk
    )


@login_required
def contact_detail(request, pk: int):
    contact = _visible_contact(request, pk)
    user = request.user
    return render(
        request,
        "partners/contact_detail.html",
        {
            "contact": contact,
            "roles": list(contact.roles.select_related("type")),
            "consents": list(contact.consents.select_related("recorded_by")[:50]),
            "attribute_values": attributes.displayed(AttributeTarget.CONTACT, contact.attributes),
            "can_edit": user.has_perm("partners.change_contact")
            and Contact.objects.editable_by(user).filter(pk=pk).exists(),
            # seen through its responsible user only: the partner's name without a link
            "partner_link": contact.responsible_id is None
            or Partner.objects.visible_to(user).filter(pk=contact.partner_id).exists(),
            "can_erase": user.has_perm("partners.delete_contact") and not contact.erased_at,
            "can_consent": user.has_perm("partners.add_consent"),
            "consent_purposes": Consent._meta.get_field("purpose").choices,
            "consent_sources": ConsentSource.choices,
            "history": _contact_history(contact),
            "sections": contact_sections.drawn(request, contact, "contact"),
        },
    )


@login_required
def contact_create(request, partner_pk: int):
    """A new contact at a partner: the full form, or the quick-add form of the partner page
    (HTMX; on success the contacts tab is re-rendered)."""
    if not request.user.has_perm("partners.add_contact"):
        raise PermissionDenied
    partner = get_editable_or_403(Partner, request.user, pk=partner_pk)
    quick = request.POST.get("quick") == "1" or request.GET.get("quick") == "1"
    prefix = "quick" if quick else None
    form = ContactForm(request.POST or None, prefix=prefix, user=request.user)
    if request.method == "POST" and form.is_valid():
        contact = form.save(commit=False)
        contact.partner = partner
        try:
            services.contact_create(
                user=request.user, contact=contact, types=form.cleaned_data.get("types") or ()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Contact saved."))
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = (
                    reverse("partners:detail", args=[partner.pk]) + "?tab=contacts"
                )
                return response
            return redirect("partners:contact-detail", pk=contact.pk)
    template = (
        "partners/partials/contact_quick_form.html"
        if quick and request.htmx
        else "partners/contact_form.html"
    )
    return render(request, template, {"form": form, "partner": partner, "contact_form": form})


@login_required
def contact_edit(request, pk: int):
    if not request.user.has_perm("partners.change_contact"):
        raise PermissionDenied
    contact = get_editable_or_403(Contact.objects.select_related("partner"), request.user, pk=pk)
    form = ContactForm(request.POST or None, instance=contact, user=request.user)
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        done, _conflict = save_edit(
            request,
            form,
            lambda: services.contact_update(
                user=request.user,
                contact=instance,
                fields=[*ContactForm.Meta.fields, "attributes"],
                expected_version=form.cleaned_data.get("base_version") or contact.version,
                types=form.cleaned_data.get("types"),
            ),
            gone_url="partners:contacts",
        )
        if done:
            return redirect("partners:contact-detail", pk=pk) if done is True else done
    return render(
        request,
        "partners/contact_form.html",
        {"form": form, "partner": contact.partner, "contact": contact},
    )


@login_required
def contact_export(request, pk: int):
    """Everything held about the person, as a JSON file (GDPR access request)."""
    contact = _visible_contact(request, pk)
    if not request.user.has_perm("partners.change_contact"):
        raise PermissionDenied
    response = HttpResponse(
        services.contact_export_json(contact=contact), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@login_required
def contact_erase(request, pk: int):
    contact = _visible_contact(request, pk)
    if not request.user.has_perm("partners.delete_contact") or contact.erased_at:
        raise PermissionDenied
    if request.method == "POST":
        services.contact_erase(contact=contact, user=request.user)
        messages.success(request, _("The person's data has been erased."))
        return redirect("partners:contact-detail", pk=pk)
    return render(request, "partners/contact_erase.html", {"contact": contact})


@login_required
@require_POST
def consent_add(request, pk: int):
    contact = _visible_contact(request, pk)
    if not request.user.has_perm("partners.add_consent"):
        raise PermissionDenied
    answer = request.POST.get("granted", "")
    if answer not in ("1", "0"):  # never taken for a consent by default
        messages.error(request, _("Choose whether the person granted or refused the consent."))
        return HttpResponseRedirect(reverse("partners:contact-detail", args=[pk]) + "#consents")
    try:
        services.consent_record(
            contact=contact,
            purpose=request.POST.get("purpose", ""),
            granted=answer == "1",
            source=request.POST.get("source", ""),
            note=request.POST.get("note", "")[:300],
            user=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Consent recorded."))
    return HttpResponseRedirect(reverse("partners:contact-detail", args=[pk]) + "#consents")


# ----------------------------------------------------------------------------- search


@login_required
def search(request):
    """The global search box: partners by name, short name and tax number, contacts by name,
    e-mail and phone; answers as one types (HTMX fragment), or as a page."""
    text = request.GET.get("q", "").strip()[:100]
    partners, contacts = search_box(request.user, text, limit=SEARCH_LIMIT)
    # What the other apps find (crm.search: documents, …), each in its own section.
    sections = providers.sections(request.user, text, SEARCH_LIMIT) if len(text) >= 3 else []
    context = {
        "q": text,
        "partners": partners,
        "contacts": contacts,
        "sections": sections,
        "limit": SEARCH_LIMIT,
    }
    if request.htmx:
        return render(request, "partners/partials/search_results.html", context)
    return render(request, "partners/search.html", context)
