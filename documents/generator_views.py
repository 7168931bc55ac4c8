"""The generator's screens: the templates and packs a user may use, a template's page (its
problems and the variables its authors may write), a new template, and generating from a
partner, contact or activity page (one template, or a pack whose shared values are asked
once). Records come through their model's ``visible_to``, templates through the store's
(``readable_by``): missing and not-yours are both 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import templating
from crm.forms import BootstrapMixin
from crm.scoping import current_company_id

from . import generator, packs
from .engines import TemplateProblem
from .generator_models import DocumentTemplate, Generation, Pack
from .linkables import registry
from .models import Document, DocumentType, Folder
from .views import client_ip


def _may_generate(user) -> None:
    if not user.has_perm("documents.add_document") or current_company_id(user) is None:
        raise PermissionDenied


def _template_or_404(user, pk) -> DocumentTemplate:
    template = (
        DocumentTemplate.objects.readable_by(user)
        .select_related("document__current_version", "document__folder", "output_folder")
        .filter(pk=pk)
        .first()
    )
    if template is None:
        raise Http404
    return template


def _pack_or_404(user, pk) -> Pack:
    pack = Pack.objects.readable_by(user).filter(pk=pk).first()
    if pack is None:
        raise Http404
    return pack


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def template_list(request):
    user = request.user
    if not user.has_perm("documents.view_document"):
        raise PermissionDenied
    templates = list(DocumentTemplate.objects.readable_by(user).select_related("document__folder"))
    pack_list = list(Pack.objects.readable_by(user).prefetch_related("items__template"))
    return render(
        request,
        "documents/generator/template_list.html",
        {
            "templates": templates,
            "packs": pack_list,
            "can_add": user.has_perm("documents.add_documenttemplate"),
        },
    )


def _variable_groups(fields) -> list[dict]:
    groups = [
        {"label": provider.label, "key": provider.key, "variables": variables}
        for provider, variables in templating.listed_variables()
    ]
    if fields:
        groups.insert(
            0,
            {
                "label": _("Shared values of its packs"),
                "key": "shared",
                "variables": generator.field_variables(fields),
            },
        )
    return groups


SYNTAX_EXAMPLES = {
    "variable": "{{ partner.name }}",
    "loop": "{% for c in contacts %}{{ c.name }}{% endfor %}",
    "docx": "{%p if … %} … {%p endif %}, {%tr for … %} … {%tr endfor %}",
}


class TemplateFileForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("Template file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".docx,.xlsx,.html,.htm"
        self.style_fields()


@login_required
def template_detail(request, pk: int):
    user = request.user
    template = _template_or_404(user, pk)
    can_replace = Document.objects.editable_by(user).filter(pk=template.document_id).exists()
    form = TemplateFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_replace:
            raise PermissionDenied
        if form.is_valid():
            try:
                generator.template_replace(
                    template=template,
                    uploaded=form.cleaned_data["file"],
                    user=user,
                    ip=client_ip(request),
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                messages.success(request, _("The new version of the template is stored."))
                return redirect("documents:template", pk=template.pk)
    fields = generator.shared_fields(template)
    return render(
        request,
        "documents/generator/template_detail.html",
        {
            "template": template,
            "problems": generator.template_problems(template),
            "groups": _variable_groups(fields),
            "packs": list(template.packs.filter(active=True)),
            "form": form,
            "can_replace": can_replace,
            "generated": Generation.objects.filter(template=template).count(),
            "examples": SYNTAX_EXAMPLES,
        },
    )


class TemplateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    file = forms.FileField(
        label=gettext_lazy("Template file"),
        help_text=gettext_lazy(
            "DOCX with {{ partner.name }} tags, XLSX with such placeholders in its cells, or an"
            " HTML page drawn to PDF."
        ),
    )
    folder = forms.ModelChoiceField(
        label=gettext_lazy("Templates folder"), queryset=Folder.objects.none()
    )
    output_type = forms.ChoiceField(
        label=gettext_lazy("Type of the generated documents"), choices=DocumentType.choices
    )
    output_folder = forms.ModelChoiceField(
        label=gettext_lazy("Folder of the generated documents"),
        queryset=Folder.objects.none(),
        required=False,
        empty_label=gettext_lazy("– only linked to the record –"),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        folders = Folder.objects.writable_by(user).order_by("tree_id", "lft")
        for name in ("folder", "output_folder"):
            self.fields[name].queryset = folders
            self.fields[name].label_from_instance = lambda f: "· " * f.level + f.name
        self.fields["file"].widget.attrs["accept"] = ".docx,.xlsx,.html,.htm"
        self.style_fields()


@login_required
def template_create(request):
    user = request.user
    company_id = current_company_id(user)
    if not user.has_perm("documents.add_documenttemplate") or company_id is None:
        raise PermissionDenied
    form = TemplateForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template = generator.template_create(
                user=user,
                company_id=company_id,
                name=data["name"],
                uploaded=data["file"],
                folder=data["folder"],
                output_type=data["output_type"],
                output_folder=data["output_folder"],
                description=data["description"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("documents:template", pk=template.pk)
    return render(request, "documents/generator/template_form.html", {"form": form})


# ----------------------------------------------------------------------------- generating


def _record_from_query(request):
    for kind in registry.ordered():
        if kind.key in request.GET:
            return generator.record_or_404(request.user, kind.key, request.GET[kind.key])
    raise Http404


@login_required
def generate(request):
    """From a record's page (``?partner=12``): choose a template or a pack; then its shared
    values, asked once; then every document is drawn, stored and linked to the record."""
    user = request.user
    _may_generate(user)
    kind, record = _record_from_query(request)
    template = pack = None
    if request.GET.get("template"):
        template = _template_or_404(user, _int(request.GET["template"]))
        fields = generator.shared_fields(template)
    elif request.GET.get("pack"):
        pack = _pack_or_404(user, _int(request.GET["pack"]))
        fields = packs.pack_fields(pack)
    else:
        fields = []
    posted = request.POST if request.method == "POST" else None  # a form of no fields too
    form = packs.SharedValuesForm(posted, fields=fields)
    problems = []
    if request.method == "POST" and (template or pack) and form.is_valid():
        shared, kept = form.shared()
        try:
            if pack is not None:
                documents = packs.pack_generate(
                    pack=pack,
                    kind=kind.key,
                    record=record,
                    user=user,
                    shared=shared,
                    values=kept,
                    ip=client_ip(request),
                )
            else:
                documents = [
                    generator.generate(
                        template=template,
                        kind=kind.key,
                        record=record,
                        user=user,
                        shared=shared,
                        values=kept,
                        ip=client_ip(request),
                    )
                ]
        except TemplateProblem as problem:
            problems = problem.messages
        except ValidationError as error:
            problems = error.messages
        else:
            ids = ",".join(str(d.pk) for d in documents)
            return redirect(reverse("documents:generated") + "?" + urlencode({"ids": ids}))
    choices = {}
    if template is None and pack is None:
        choices = {
            "templates": list(DocumentTemplate.objects.readable_by(user)),
            "packs": list(Pack.objects.readable_by(user).prefetch_related("items__template")),
        }
    pack_templates = (
        [item.template for item in pack.items.select_related("template")] if pack else []
    )
    return render(
        request,
        "documents/generator/generate.html",
        {
            "kind": kind,
            "record": record,
            "record_url": reverse(kind.url_name, args=[record.pk]),
            "query": urlencode({kind.key: record.pk}),
            "template": template,
            "pack": pack,
            "pack_templates": pack_templates,
            "form": form,
            "problems": problems,
            **choices,
        },
        status=400 if problems else 200,
    )


@login_required
def generated(request):
    """What was just generated: the documents (those the user sees) with their downloads."""
    ids = [i for i in (_int(v) for v in request.GET.get("ids", "").split(",")) if i][:50]
    documents = list(
        Document.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("current_version", "generation")
        .order_by("pk")
    )
    if not documents:
        raise Http404
    return render(request, "documents/generator/generated.html", {"documents": documents})


urlpatterns = [
    path("templates/", template_list, name="templates"),
    path("templates/new/", template_create, name="template-create"),
    path("templates/<int:pk>/", template_detail, name="template"),
    path("generate/", generate, name="generate"),
    path("generated/", generated, name="generated"),
]
