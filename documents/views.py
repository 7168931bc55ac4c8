"""The document store's screens: the list with its folder tree, attaching in two steps, the
document page (versions, check-out, links, audit), downloads, the trash and the audit page.
Every query starts from ``Document.objects.visible_to`` / ``editable_by``; a document that is
missing and one that is not the user's look the same (404)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from crm import keyset
from crm.scoping import current_company_id
from crm.versioning import Conflict

from . import services, storage, uploads
from .folders import managed_by
from .forms import AttachForm, AuditFilterForm, DocumentEditForm
from .linkables import registry
from .models import (
    Action,
    Document,
    DocumentEvent,
    DocumentLink,
    DocumentType,
    Folder,
    sees_all,
)

PAGE_SIZE = 50


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _visible_or_404(user, pk: int):
    document = (
        Document.objects.visible_to(user)
        .select_related("owner", "folder", "current_version", "checked_out_by")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404
    return document


def _editable_or_404(user, pk: int):
    """404 when the user does not see it, 403 when they see it but may not change it."""
    document = _visible_or_404(user, pk)
    if not Document.objects.editable_by(user).filter(pk=pk).exists():
        raise PermissionDenied
    return document


def _rows():
    return Document.objects.select_related("owner", "folder", "current_version").only(
        "title",
        "type",
        "updated_at",
        "checked_out_by_id",
        "owner__first_name",
        "owner__last_name",
        "owner__username",
        "folder__name",
        "current_version__original_name",
        "current_version__size",
        "current_version__number",
    )


def _next_url(request, cursor):
    if not cursor:
        return None
    query = request.GET.copy()
    query["after"] = cursor
    return f"?{query.urlencode()}"


@login_required
def document_list(request):
    user = request.user
    if not user.has_perm("documents.view_document"):
        raise PermissionDenied
    documents = Document.objects.visible_to(user)
    folders = list(Folder.objects.visible_to(user).order_by("tree_id", "lft"))
    folder_id = _int(request.GET.get("folder"))
    folder = next((f for f in folders if f.pk == folder_id), None)
    if folder is not None:
        documents = documents.filter(
            folder__tree_id=folder.tree_id,
            folder__lft__gte=folder.lft,
            folder__rght__lte=folder.rght,
        )
    doc_type = request.GET.get("type", "")
    if doc_type in DocumentType.values:
        documents = documents.filter(type=doc_type)
    partner = None
    kind = registry.get("partner")
    partner_id = _int(request.GET.get("partner"))
    if partner_id and kind is not None:
        partner = kind.visible(user).filter(pk=partner_id).first()
        documents = documents.linked_to(partner) if partner else documents.none()
    rows, cursor = keyset.page(
        documents, order=["-id"], after=request.GET.get("after", ""), size=PAGE_SIZE, rows=_rows()
    )
    attach_url = reverse("documents:create")
    if partner is not None:
        attach_url += f"?partner={partner.pk}"
    return render(
        request,
        "documents/document_list.html",
        {
            "documents": rows,
            "next_url": _next_url(request, cursor),
            "folders": folders,
            "folder": folder,
            "types": DocumentType.choices,
            "doc_type": doc_type,
            "partner": partner,
            "can_add": user.has_perm("documents.add_document"),
            "can_audit": user.has_perm("documents.view_documentevent"),
            "can_trash": user.is_staff or user.has_perm("documents.restore_document"),
            "can_manage_folders": managed_by(user).exists(),
            "attach_url": attach_url,
        },
    )


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@login_required
def document_create(request):
    """Attaching, step 1: the metadata. Then step 2: the files."""
    user = request.user
    company_id = current_company_id(user)
    if not user.has_perm("documents.add_document") or company_id is None:
        raise PermissionDenied
    initial = {kind.key: _int(request.GET.get(kind.key)) for kind in registry.ordered()}
    form = AttachForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.document_create(
                user=user,
                company_id=company_id,
                links=[record for _kind, record in form.linked_records()],
                title=data["title"] or "",
                type=data["type"],
                folder=data["folder"],
                description=data["description"],
                tags=data["tags"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("documents:files", pk=document.pk)
    return render(
        request,
        "documents/document_form.html",
        {"form": form, "links": form.linked_records(), "step": 1},
    )


@login_required
def document_files(request, pk: int):
    """Attaching, step 2: the page where files are dropped (static/documents/js/upload.js
    sends them one by one to ``document_upload``)."""
    document = _editable_or_404(request.user, pk)
    return render(
        request,
        "documents/document_files.html",
        {
            "document": document,
            "step": 2,
            "max_bytes": uploads.max_bytes(),
            "too_big": uploads.too_big_message(),
            "allowed": uploads.ALLOWED_DESCRIPTION,
        },
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _duplicate_warning(same) -> str:
    if not same:
        return ""
    return _("The same file is already stored as: %(titles)s.") % {
        "titles": ", ".join(f"„{d.title}”" for d in same)
    }


@csrf_exempt
def document_upload(request, pk: int):
    """One file, POSTed to a document: its first file, another document of the same attaching
    (``?sibling=1``, several files dropped at once) or a new version. The body goes to a
    temporary file on disk (never to memory) and is checked before it is stored; a body over
    the limit is refused before it is read. CSRF is checked after the upload handlers are set
    (Django's recipe for per-view upload handlers)."""
    length = _int(request.META.get("CONTENT_LENGTH")) or 0
    if length > uploads.max_bytes() + 64 * 1024:  # refused before a byte of it is read
        error = uploads.too_big_message()
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": error}, status=413)
        messages.error(request, error)
        return redirect("documents:detail", pk=pk)
    request.upload_handlers = [uploads.LimitedUploadHandler(request)]
    return _upload(request, pk)


@csrf_protect
@login_required
@require_POST
def _upload(request, pk: int):
    user = request.user
    document = _editable_or_404(user, pk)
    uploaded = request.FILES.get("file")
    if getattr(request, "documents_too_big", False):
        return _upload_answer(request, document, error=uploads.too_big_message(), status=413)
    if uploaded is None:
        return _upload_answer(request, document, error=_("Choose a file."), status=400)
    sibling = request.GET.get("sibling") == "1" and document.current_version_id is not None
    try:
        if sibling:
            target, version, same = services.sibling_create(
                document=document, uploaded=uploaded, user=user, ip=client_ip(request)
            )
        else:
            target = document
            version, same = services.version_add(
                document=document, uploaded=uploaded, user=user, ip=client_ip(request)
            )
    except storage.StorageUnavailable as error:
        return _upload_answer(request, document, error=" ".join(error.messages), status=503)
    except ValidationError as error:
        return _upload_answer(request, document, error=" ".join(error.messages), status=400)
    finally:
        uploaded.close()
    return _upload_answer(
        request,
        target,
        version=version,
        warning=_duplicate_warning(same),
    )


def _upload_answer(request, document, *, version=None, error="", warning="", status=200):
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": not error,
                "error": error,
                "warning": warning,
                "title": document.title,
                "url": document.get_absolute_url(),
                "version": version.number if version else None,
            },
            status=status,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Version %(n)s stored.") % {"n": version.number})
        if warning:
            messages.warning(request, warning)
    return redirect(document.get_absolute_url())


def _linked(user, document) -> list[dict]:
    """The records the document is linked to that the user sees: one query per kind."""
    by_type: dict[int, list[int]] = {}
    for ct_id, object_id in DocumentLink.objects.filter(document=document).values_list(
        "content_type_id", "object_id"
    ):
        by_type.setdefault(ct_id, []).append(object_id)
    found = []
    for kind in registry.ordered():
        ids = by_type.get(ContentType.objects.get_for_model(kind.model()).pk)
        if not ids:
            continue
        for record in kind.visible(user).filter(pk__in=ids):
            found.append(
                {"kind": kind, "record": record, "url": reverse(kind.url_name, args=[record.pk])}
            )
    return found


@login_required
def document_detail(request, pk: int):
    user = request.user
    document = _visible_or_404(user, pk)
    services.record_event(document=document, action=Action.VIEW, user=user, ip=client_ip(request))
    can_edit = Document.objects.editable_by(user).filter(pk=pk).exists()
    can_audit = user.has_perm("documents.view_documentevent")
    events = []
    if can_audit:
        events = list(
            DocumentEvent.objects.filter(document_id=document.pk)
            .select_related("user")
            .order_by("-id")[:100]
        )
    return render(
        request,
        "documents/document_detail.html",
        {
            "document": document,
            "versions": list(document.versions.select_related("uploaded_by").order_by("-number")),
            "links": _linked(user, document),
            "can_edit": can_edit,
            "can_delete": Document.objects.deletable_by(user).filter(pk=pk).exists(),
            "can_audit": can_audit,
            "events": events,
            "held_by_other": document.checked_out_by_id and document.checked_out_by_id != user.pk,
            "max_bytes": uploads.max_bytes(),
        },
    )


@login_required
def document_edit(request, pk: int):
    user = request.user
    document = _editable_or_404(user, pk)
    form = DocumentEditForm(request.POST or None, user=user, document=document)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.document_update(
                document=document,
                user=user,
                expected_version=data["version"],
                title=data["title"],
                type=data["type"],
                folder=data["folder"],
                description=data["description"],
                tags=data["tags"],
            )
        except Conflict as conflict:
            form.add_error(
                None,
                _("Someone saved this document meanwhile (%(who)s); reload the page and try again.")
                % {"who": conflict.changed_by or "–"},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(document.get_absolute_url())
    return render(request, "documents/document_edit.html", {"form": form, "document": document})


@login_required
def document_download(request, pk: int, number: int | None = None):
    """The file, always as an attachment (never shown by the browser), streamed."""
    user = request.user
    document = _visible_or_404(user, pk)
    version = document.current_version
    if number is not None:
        version = document.versions.filter(number=number).first()
    if version is None:
        raise Http404
    try:
        handle = storage.open_stream(version.file.name)
    except FileNotFoundError:
        raise Http404 from None
    except storage.StorageUnavailable as error:
        messages.error(request, " ".join(error.messages))
        return redirect(document.get_absolute_url())
    services.record_event(
        document=document,
        action=Action.DOWNLOAD,
        user=user,
        ip=client_ip(request),
        version=version,
    )
    response = FileResponse(
        handle, as_attachment=True, filename=version.original_name, content_type=version.mime
    )
    response["Content-Length"] = version.size
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def version_restore(request, pk: int, number: int):
    user = request.user
    document = _editable_or_404(user, pk)
    version = document.versions.filter(number=number).first()
    if version is None:
        raise Http404
    try:
        copy = services.version_restore(
            document=document, version=version, user=user, ip=client_ip(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Version %(old)s is current again as version %(new)s.")
            % {"old": number, "new": copy.number},
        )
    return redirect(document.get_absolute_url())


@login_required
@require_POST
def document_check_out(request, pk: int):
    user = request.user
    document = _editable_or_404(user, pk)
    try:
        services.check_out(document=document, user=user, ip=client_ip(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Checked out: others cannot upload versions until you check in.")
        )
    return redirect(document.get_absolute_url())


@login_required
@require_POST
def document_check_in(request, pk: int):
    user = request.user
    document = _editable_or_404(user, pk)
    force = user.is_superuser or user.has_perm("documents.view_all_document")
    try:
        services.check_in(document=document, user=user, ip=client_ip(request), force=force)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Checked in."))
    return redirect(document.get_absolute_url())


@login_required
@require_POST
def document_delete(request, pk: int):
    user = request.user
    document = _visible_or_404(user, pk)
    if not Document.objects.deletable_by(user).filter(pk=pk).exists():
        raise PermissionDenied
    services.document_delete(document=document, user=user, ip=client_ip(request))
    messages.success(request, _("“%(title)s” was moved to the trash.") % {"title": document.title})
    return redirect("documents:list")


@login_required
def trash(request):
    user = request.user
    if not (user.is_staff or user.has_perm("documents.restore_document")):
        raise PermissionDenied
    documents = Document.objects.in_trash(user)
    rows, cursor = keyset.page(
        documents,
        order=["-deleted_at", "-id"],
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
        rows=Document.objects.select_related("owner", "deleted_by", "current_version"),
    )
    return render(
        request,
        "documents/trash.html",
        {"documents": rows, "next_url": _next_url(request, cursor), "days": _trash_days()},
    )


def _trash_days() -> int:
    from django.conf import settings

    return settings.DOCUMENTS_TRASH_DAYS


@login_required
@require_POST
def document_undelete(request, pk: int):
    user = request.user
    document = Document.objects.in_trash(user).filter(pk=pk).first()
    if document is None:
        raise Http404
    services.document_undelete(document=document, user=user, ip=client_ip(request))
    messages.success(request, _("“%(title)s” is back from the trash.") % {"title": document.title})
    return redirect("documents:trash")


# ----------------------------------------------------------------------------- audit


def _audit_events(request):
    user = request.user
    if not user.has_perm("documents.view_documentevent"):
        raise PermissionDenied
    company_id = current_company_id(user)
    if company_id is None and not user.is_superuser:
        raise PermissionDenied
    events = DocumentEvent.objects.all()
    if company_id is not None:
        events = events.filter(company_id=company_id)
    if not (user.is_superuser or sees_all(user)):
        # the events of the documents the auditor sees (all of the company: "see all")
        events = events.filter(document_id__in=Document.objects.visible_to(user).values("pk"))
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["user"]:
            text = data["user"]
            events = events.filter(
                Q(user__username__icontains=text)
                | Q(user__last_name__icontains=text)
                | Q(user__first_name__icontains=text)
            )
        if data["title"]:
            events = events.filter(title__icontains=data["title"])
        tz = timezone.get_current_timezone()
        if data["since"]:
            start = datetime.datetime.combine(data["since"], datetime.time.min, tzinfo=tz)
            events = events.filter(at__gte=start)
        if data["until"]:
            end = datetime.datetime.combine(
                data["until"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
            )
            events = events.filter(at__lt=end)
    return events, form


@login_required
def audit(request):
    events, form = _audit_events(request)
    rows, cursor = keyset.page(
        events,
        order=["-id"],
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
        rows=DocumentEvent.objects.select_related("user"),
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "documents/audit.html",
        {
            "events": rows,
            "form": form,
            "next_url": _next_url(request, cursor),
            "can_export": request.user.has_perm("crm.export_data"),
            "export_query": urlencode(query, doseq=True),
        },
    )


AUDIT_EXPORT_MAX_ROWS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def audit_export(request):
    if not request.user.has_perm("crm.export_data"):
        raise PermissionDenied
    events, _form = _audit_events(request)
    events = events.select_related("user").order_by("-id")[:AUDIT_EXPORT_MAX_ROWS]
    labels = dict(Action.choices)
    head = [
        _("Time"),
        _("Action"),
        _("Document"),
        _("Title"),
        _("Version"),
        _("User"),
        _("IP address"),
    ]

    def rows():
        for e in events.iterator(chunk_size=2000):
            yield [
                timezone.localtime(e.at).replace(tzinfo=None),
                str(labels.get(e.action, e.action)),
                e.document_id,
                e.title,
                e.version_number,
                (e.user.get_full_name() or e.user.get_username()) if e.user else "",
                e.ip_address or "",
            ]

    from crm.spreadsheets import xlsx_file

    output = xlsx_file(
        _("Document audit"), head, rows(), date_format=get_format("SHORT_DATE_FORMAT")
    )
    stamp = timezone.localdate().isoformat()
    return FileResponse(
        output,
        as_attachment=True,
        filename=f"document-audit-{stamp}.xlsx",
        content_type=XLSX_TYPE,
    )


# ----------------------------------------------------------------------------- partner tab

TAB_SIZE = 50


def record_documents_context(request, record) -> dict:
    """The "Documents" tab of a partner page (and section of a contact page): the record's
    documents the user sees, newest first (one query), and the attach button pre-filled with
    the record."""
    user = request.user
    kind = registry.for_model(type(record))
    documents = list(
        _rows()
        .filter(pk__in=Document.objects.visible_to(user).linked_to(record).values("pk"))
        .order_by("-id")[:TAB_SIZE]
    )
    more_url = None
    if kind is not None and kind.key == "partner":
        more_url = reverse("documents:list") + f"?partner={record.pk}"
    return {
        "documents": documents,
        "more_url": more_url,
        "has_more": len(documents) == TAB_SIZE,
        "can_attach": user.has_perm("documents.add_document") and kind is not None,
        "attach_url": reverse("documents:create") + (f"?{kind.key}={record.pk}" if kind else ""),
        # the document generator (documents/generator_views.py), from the same record
        "generate_url": reverse("documents:generate")
        + (f"?{kind.key}={record.pk}" if kind else ""),
    }
