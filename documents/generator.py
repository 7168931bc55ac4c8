"""The document generator: a template of the store drawn with a record's data (the variables
of ``crm.templating``) and stored back into the store as a new document linked to the record,
through the store's own services (so its version, audit row and link are those of any
upload). A PDF is sealed: its SHA-256 is kept and it takes no new version.

Drawing and storing are apart: every document of a pack is drawn first, then all are stored in
one transaction, so a template that fails stores nothing of the pack.
"""

import uuid
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404

from crm import templating
from crm.models import Company
from crm.scoping import current_company_id

from . import engines, services, uploads
from .generator_models import DocumentTemplate, Engine, Generation, PackField
from .linkables import registry
from .models import Folder

MIME = {
    Engine.DOCX: uploads.DOCX,
    Engine.XLSX: uploads.XLSX,
    Engine.HTML: uploads.PDF,
}
TEMPLATE_MIME = {uploads.DOCX: Engine.DOCX, uploads.XLSX: Engine.XLSX, "text/html": Engine.HTML}


def record_or_404(user, kind_key: str, pk):
    """The record (partner, contact, activity …) a document is generated from, if ``user``
    sees it (its model's ``visible_to``); 404 for missing and not-yours alike."""
    kind = registry.get(kind_key or "")
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    record = kind.visible(user).filter(pk=pk).first() if kind else None
    if record is None:
        raise Http404
    return kind, record


def shared_fields(template) -> list:
    """The shared values a template may use (``{{ shared.key }}``): those of the packs it is
    in, each key once."""
    seen, fields = set(), []
    for field in PackField.objects.filter(pack__items__template=template).order_by(
        "pack_id", "order", "pk"
    ):
        if field.key not in seen:
            seen.add(field.key)
            fields.append(field)
    return fields


def field_variables(fields) -> list[templating.Variable]:
    return [
        templating.Variable(f"shared.{f.key}", f.label, f.example or f.get_kind_display())
        for f in fields
    ]


def known(fields=()) -> engines.Known:
    names = [v.name for _provider, variables in templating.listed_variables() for v in variables]
    names += [v.name for v in field_variables(fields)]
    return engines.Known.of(names, tops=[p.key for p in templating.providers.ordered()])


_bytes: dict = {}


def template_bytes(template) -> tuple[bytes, tuple]:
    """The template's current file and a key naming that exact file (a version never
    changes), kept for the next document of the same template."""
    version = template.document.current_version
    if version is None:
        raise engines.TemplateProblem([_no_file()])
    key = (version.pk, version.sha256)
    data = _bytes.get(key)
    if data is None:
        with version.file.open("rb") as handle:
            data = handle.read()
        if len(_bytes) > 32:
            _bytes.clear()
        _bytes[key] = data
    return data, key


def _no_file() -> str:
    from django.utils.translation import gettext as _

    return _("The template has no file yet.")


def template_problems(template) -> list[str]:
    """What keeps ``template`` from being drawn, as messages naming tag and place."""
    try:
        data, _key = template_bytes(template)
    except engines.TemplateProblem as problem:
        return problem.messages
    fields = shared_fields(template)
    return engines.problems(
        template.engine,
        data,
        known(fields),
        templating.example_context(field_variables(fields)),
    )


@dataclass
class Drawn:
    template: DocumentTemplate
    version_number: int
    content: bytes
    name: str
    title: str


def source_for(*, user, kind: str, record, shared: dict | None = None) -> templating.Source:
    company = Company.objects.filter(pk=current_company_id(user)).first()
    return templating.Source(
        user=user, company=company, kind=kind, record=record, extra={"shared": shared or {}}
    )


def draw(*, template, source: templating.Source, context: dict | None = None) -> Drawn:
    """The output file of ``template`` for ``source`` (``TemplateProblem`` if it cannot be
    drawn)."""
    data, key = template_bytes(template)
    if context is None:
        context = templating.context(source)
    try:
        content = engines.render(template.engine, data, context, key=key)
    except engines.TemplateProblem as problem:
        # the checker names the tag and its line, paragraph or cell; drawing alone may not
        raise engines.TemplateProblem(template_problems(template) or problem.messages) from None
    title = f"{template.name} – {source.record}"[:250]
    # "… Kft." + ".pdf" would give "Kft..pdf"
    name = uploads.clean_name(f"{title.rstrip('. ')}.{template.output_extension}")
    return Drawn(template, template.document.current_version.number, content, name, title)


def _folder(template, user):
    folder_id = template.output_folder_id
    if folder_id and Folder.objects.writable_by(user).filter(pk=folder_id).exists():
        return template.output_folder
    return None


def store(*, drawn: list[Drawn], user, record, pack=None, values=None, ip=None) -> list:
    """Stores drawn files as new documents linked to ``record``, in one transaction."""
    company_id = current_company_id(user)
    content_type = ContentType.objects.get_for_model(type(record))
    batch = uuid.uuid4() if len(drawn) > 1 or pack is not None else None
    documents = []
    with transaction.atomic():
        for item in drawn:
            template = item.template
            document = services.document_create(
                user=user,
                company_id=company_id,
                links=[record],
                title=item.title,
                type=template.output_type,
                folder=_folder(template, user),
            )
            version, _same = services.version_add(
                document=document,
                uploaded=ContentFile(item.content, name=item.name),
                user=user,
                ip=ip,
            )
            document.current_version = version
            Generation.objects.create(
                document=document,
                template=template,
                template_version=item.version_number,
                pack=pack,
                batch=batch,
                content_type=content_type,
                object_id=record.pk,
                values=values or {},
                sha256=version.sha256,
                sealed=template.engine == Engine.HTML,
                created_by=user,
            )
            documents.append(document)
    return documents


def generate(*, template, kind: str, record, user, shared=None, values=None, ip=None):
    """One document from ``template`` for ``record`` (seen by ``user``), stored and linked."""
    source = source_for(user=user, kind=kind, record=record, shared=shared)
    drawn = draw(template=template, source=source)
    return store(drawn=[drawn], user=user, record=record, values=values, ip=ip)[0]


# ----------------------------------------------------------------------------- templates

HTML_TEMPLATE_MAX_BYTES = 2 * 1024 * 1024


def template_file_check(uploaded) -> uploads.Checked:
    """A template file: DOCX or XLSX by content (the store's upload checks), or an HTML file
    (``.html``, UTF-8 text, at most 2 MB), which the store accepts only as a template and, like
    every file, only ever serves as an attachment."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    name = uploads.clean_name(uploaded.name)
    if name.lower().endswith((".html", ".htm")):
        if not uploaded.size or uploaded.size > HTML_TEMPLATE_MAX_BYTES:
            raise ValidationError(_("An HTML template is a text file of at most 2 MB."))
        uploaded.seek(0)
        data = uploaded.read()
        uploaded.seek(0)
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("An HTML template must be UTF-8 text.")) from None
        import hashlib

        return uploads.Checked(
            name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), mime="text/html"
        )
    checked = uploads.check(uploaded)
    if checked.mime not in TEMPLATE_MIME:
        raise ValidationError(_("A template is a DOCX, an XLSX or an HTML file."))
    return checked


def template_create(
    *,
    user,
    company_id: int,
    name: str,
    uploaded,
    folder,
    output_type,
    output_folder=None,
    description: str = "",
    ip=None,
) -> DocumentTemplate:
    """A new template: its file stored as a document of ``folder`` (the templates folder),
    then the template row that says how to draw it."""
    checked = template_file_check(uploaded)
    with transaction.atomic():
        document = services.document_create(
            user=user,
            company_id=company_id,
            title=name,
            folder=folder,
            description=description,
            tags=["sablon"],
        )
        services.version_add(
            document=document, uploaded=uploaded, user=user, ip=ip, checked=checked
        )
        document.refresh_from_db()
        return DocumentTemplate.objects.create(
            document=document,
            company_id=company_id,
            name=name,
            engine=TEMPLATE_MIME[checked.mime],
            output_type=output_type,
            output_folder=output_folder,
            description=description,
        )


def template_replace(*, template, uploaded, user, ip=None):
    """A new version of the template's file (of the same kind)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    checked = template_file_check(uploaded)
    if TEMPLATE_MIME[checked.mime] != template.engine:
        raise ValidationError(
            _("This template is drawn as %(kind)s: upload a file of that kind.")
            % {"kind": template.get_engine_display()}
        )
    version, _same = services.version_add(
        document=template.document, uploaded=uploaded, user=user, ip=ip, checked=checked
    )
    return version
