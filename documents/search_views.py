"""The document search page (``/documents/search/``): words inside the files, titles and
descriptions, ranked, with the matched passage highlighted; filters by folder (and below),
type, upload date and linked partner. A constant number of queries whatever the number of
results (``search.ranked``: the page with its snippets and the capped count in one)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms.utils import flatatt
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import search
from .linkables import registry
from .models import DocumentType, Folder


class FolderSelect(forms.Select):
    """The folder list drawn in Python: one string per option instead of a template each (a
    director's company has dozens of folders, drawn on every search)."""

    def render(self, name, value, attrs=None, renderer=None):
        value = "" if value is None else str(value)
        attrs = self.build_attrs(self.attrs, attrs)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == value else "", label)
                for key, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


class FolderChoice(forms.ModelChoiceField):
    """A folder the user sees: validated against the queryset, listed from its (id, name,
    level) only, indented by level."""

    widget = FolderSelect

    def _get_choices(self):
        rows = self.queryset.values_list("pk", "name", "level")
        return [("", self.empty_label)] + [
            (pk, "\u2003" * min(level, 4) + name) for pk, name, level in rows
        ]

    choices = property(_get_choices, forms.ChoiceField.choices.fset)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), max_length=search.MAX_QUERY, required=False)
    folder = FolderChoice(
        label=_("Folder"),
        queryset=Folder.objects.none(),
        required=False,
        empty_label=_("Every folder"),
    )
    type = forms.ChoiceField(label=_("Document type"), required=False)
    date_from = forms.DateField(
        label=_("Uploaded from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Uploaded until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    partner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["folder"].queryset = Folder.objects.visible_to(user).order_by("tree_id", "lft")
        self.fields["type"].choices = [("", _("Every type")), *DocumentType.choices]
        for name, field in self.fields.items():
            css = (
                "form-select form-select-sm"
                if name in ("folder", "type")
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)
        self.fields["q"].widget.attrs.update({"type": "search", "autofocus": True})

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data

    def linked_partner(self):
        """The partner of ``?partner=`` when the user sees it (else the filter finds nothing)."""
        pk = self.cleaned_data.get("partner")
        kind = registry.get("partner")
        if not pk or kind is None:
            return None
        return kind.visible(self.user).filter(pk=pk).first() or False

    def filters(self) -> search.Filters:
        data = self.cleaned_data
        return search.Filters(
            folder=data.get("folder"),
            type=data.get("type") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


@login_required
def document_search(request):
    user = request.user
    if not user.has_perm("documents.view_document"):
        raise PermissionDenied
    form = SearchForm(request.GET or None, user=user)
    context = {"form": form, "results": [], "searched": False}
    if form.is_bound and form.is_valid():
        query = search.text_query(form.cleaned_data["q"])
        filters = form.filters()
        partner = form.linked_partner()
        context["partner"] = partner or None
        if query is not None and partner is not False:
            filters.partner = partner
            page = _page(request.GET.get("page"))
            start = (page - 1) * search.PAGE_SIZE
            text = form.cleaned_data["q"]
            found = search.ranked(
                user, query, filters, headline=text, offset=start, limit=search.PAGE_SIZE + 1
            )
            total = found.total
            rows = list(found)
            context.update(
                searched=True,
                results=rows[: search.PAGE_SIZE],
                total=total,
                capped=total > search.CANDIDATES,
                cap=search.CANDIDATES,
                page=page,
                next_url=_page_url(request, page + 1)
                if len(rows) > search.PAGE_SIZE and page < search.MAX_PAGES
                else None,
                previous_url=_page_url(request, page - 1) if page > 1 else None,
            )
        elif partner is False:
            context["searched"] = True
    return render(request, "documents/search.html", context)


def _page(value) -> int:
    """The page asked for, between 1 and ``MAX_PAGES`` (anything else: the first)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= search.MAX_PAGES else 1


def _page_url(request, page: int) -> str:
    query = request.GET.copy()
    query["page"] = page
    return f"?{query.urlencode()}"
