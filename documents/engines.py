"""Drawing a template with a context: DOCX through docxtpl, XLSX through openpyxl (each text
cell with ``{{ … }}`` drawn), HTML through Jinja and then WeasyPrint to PDF. All three use one
sandboxed Jinja environment where an unknown name is an error, not an empty text; values are
escaped for the format (XML in DOCX, HTML before the PDF), and a cell that a value would turn
into a formula stays text.

``problems(engine, data, known)`` checks a template before anything is drawn and answers
with messages naming the tag and where it is (the line of an HTML template, the paragraph of a
DOCX, the cell of an XLSX), so a template author sees what to fix, never an error page.
"""

import io
import re
import sys
import threading
from dataclasses import dataclass

import jinja2
from django.utils.translation import gettext as _
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

# The font of every PDF, installed by the set-up (fonts-dejavu): it has every Hungarian letter
# (ő, ű, Ő, Ű), so no fallback font is ever picked. A template's own CSS may name another.
BASE_CSS = """
@page { size: A4; margin: 2cm; }
html { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; }
"""


class TemplateProblem(Exception):
    """A template that cannot be drawn; ``messages`` say why, in the user's language."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Raw:
    """A value that shows as ``text`` and that a spreadsheet cell holding only it takes as
    ``value`` (a number or a date), as the shared values of a pack do."""

    text: str
    value: object

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(self.text))


def environment(*, autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=autoescape, keep_trailing_newline=True
    )
    return env


HTML_ENV = environment(autoescape=True)
TEXT_ENV = environment(autoescape=False)
DOCX_ENV = environment(autoescape=True)  # docxtpl writes into XML


# ----------------------------------------------------------------------------- checking


def _where_docx(line: int) -> str:
    return _("paragraph %(n)s") % {"n": max(line - 1, 1)}


def _where_html(line: int) -> str:
    return _("line %(n)s") % {"n": line}


def _line_text(source: str, line: int) -> str:
    lines = source.splitlines()
    if not 0 < line <= len(lines):
        return ""
    text = re.sub(r"<[^>]+>", "", lines[line - 1]).strip()
    return text[:120]


def _path(node) -> list[str] | None:
    """``partner.name`` of a ``Getattr``/``Getitem`` chain on a name, else None."""
    parts = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
        else:
            return None
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    return [node.name, *reversed(parts)]


def _outermost(ast) -> list:
    """The chains of attribute look-ups, each once (its longest form)."""
    inner = set()
    chains = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        if id(node) in inner:
            continue
        child = node.node
        while isinstance(child, nodes.Getattr | nodes.Getitem):
            inner.add(id(child))
            child = child.node
        chains.append(node)
    return chains


def _unknown_paths(ast, known: "Known") -> list[tuple[str, int]]:
    found = []
    for name in sorted(meta.find_undeclared_variables(ast)):
        if name not in known.top:
            line = next(
                (n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"),
                1,
            )
            found.append((name, line))
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in _outermost(ast):
        parts = _path(node)
        if not parts or parts[0] in assigned or parts[0] not in known.top:
            continue
        bad = known.first_unknown(parts)
        if bad:
            found.append((bad, node.lineno))
    return found


@dataclass
class Known:
    """The variables a template may use: the dotted names of the registry (and a pack's
    shared values); ``contacts[].name`` makes ``contacts`` a list."""

    leaves: set
    inner: set
    top: set

    @classmethod
    def of(cls, names, tops=()) -> "Known":
        """``tops``: top-level names that exist even without a variable listed (a provider
        whose list comes from the database and is empty)."""
        leaves, inner, top = set(), set(tops), set(tops)
        for name in names:
            parts = name.replace("[]", "").split(".")
            top.add(parts[0])
            if "[]" in name:
                leaves.add(name.split("[]")[0])  # a list: its items are checked by drawing
                continue
            for i in range(1, len(parts)):
                inner.add(".".join(parts[:i]))
            leaves.add(".".join(parts))
        return cls(leaves=leaves, inner=inner, top=top)

    def first_unknown(self, parts: list[str]) -> str | None:
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in self.leaves:
                return None
            if prefix not in self.inner:
                return prefix
        return None


def _drawing_error(error: Exception) -> tuple[str, int | None]:
    """What went wrong while drawing, and the template line (from Jinja's traceback)."""
    line = getattr(error, "lineno", None)
    tb = sys.exc_info()[2] if error.__traceback__ is None else error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    message = str(error)
    match = re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", message)
    if match:
        name = match.group(1) or match.group(2)
        return _("Unknown variable “%(name)s”") % {"name": name}, line
    return message, line


def _check_source(source: str, env, known: Known, example: dict, where) -> list[str]:
    try:
        ast = env.parse(source)
    except jinja2.TemplateSyntaxError as error:
        return [
            _("Syntax error in %(where)s: %(error)s „%(text)s”")
            % {
                "where": where(error.lineno),
                "error": error.message,
                "text": _line_text(source, error.lineno),
            }
        ]
    messages = [
        _("Unknown variable “%(name)s” in %(where)s: „%(text)s”")
        % {"name": name, "where": where(line), "text": _line_text(source, line)}
        for name, line in _unknown_paths(ast, known)
    ]
    if messages:
        return messages
    try:
        env.from_string(source).render(example)
    except Exception as error:  # noqa: BLE001 - any failure of a trial drawing is reported
        text, line = _drawing_error(error)
        place = where(line) if line else "?"
        return [
            _("%(error)s in %(where)s: „%(text)s”")
            % {"error": text, "where": place, "text": _line_text(source, line or 0)}
        ]
    return []


def _docx_parts(data: bytes):
    """(label, patched XML) of the body, headers and footers as docxtpl draws them: one
    paragraph a line, so a Jinja line number is a paragraph."""
    from docxtpl import DocxTemplate

    template = DocxTemplate(io.BytesIO(data))
    template.init_docx()
    body = template.patch_xml(template.get_xml())
    yield _("the text"), re.sub(r"<w:p([ >])", r"\n<w:p\1", body)
    for label, uri in (
        (_("the header"), template.HEADER_URI),
        (_("the footer"), template.FOOTER_URI),
    ):
        for _key, part in template.get_headers_footers(uri):
            xml = template.patch_xml(template.get_part_xml(part))
            yield label, re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


CELL_TAG = re.compile(r"\{\{|\{%")


def _xlsx_cells(data: bytes):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and CELL_TAG.search(cell.value):
                    yield sheet, cell


def problems(engine: str, data: bytes, known: Known, example: dict) -> list[str]:
    """What is wrong with a template file, as messages naming the tag and its place; empty
    when it draws with the example values."""
    try:
        if engine == "html":
            source = _html_source(data)
            return _check_source(source, HTML_ENV, known, example, _where_html)
        if engine == "docx":
            found = []
            for label, xml in _docx_parts(data):
                where = (
                    _where_docx
                    if label == _("the text")
                    else (lambda line, label=label: f"{label}, {_where_docx(line)}")
                )
                found += _check_source(xml, DOCX_ENV, known, example, where)
            return found
        if engine == "xlsx":
            found = []
            for sheet, cell in _xlsx_cells(data):
                place = _("cell %(cell)s") % {"cell": f"{sheet.title}!{cell.coordinate}"}
                where = lambda _line, place=place: place  # noqa: E731
                found += _check_source(cell.value, TEXT_ENV, known, example, where)
            return found
    except TemplateProblem as problem:
        return problem.messages
    except Exception as error:  # noqa: BLE001 - a damaged file is a message, not a 500
        return [_("The template file cannot be read: %(error)s") % {"error": error}]
    return [_("Unknown template kind.")]


# ----------------------------------------------------------------------------- drawing


def _html_source(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TemplateProblem([_("An HTML template must be UTF-8 text.")]) from None


_compiled: dict = {}


def _compiled_html(key, data: bytes):
    """The compiled Jinja template of an HTML template file, kept per ``key`` (its stored
    version): drawing 500 documents compiles it once."""
    template = _compiled.get(key) if key is not None else None
    if template is None:
        template = HTML_ENV.from_string(_html_source(data))
        if key is not None:
            if len(_compiled) > 64:
                _compiled.clear()
            _compiled[key] = template
    return template


def render_html(data: bytes, context: dict, *, key=None) -> str:
    return _compiled_html(key, data).render(context)


_local = threading.local()


def _weasyprint_kit():
    """The font configuration, base stylesheet and fetcher, made once per thread: a new
    ``FontConfiguration`` reads every installed font's description, which costs more than
    drawing a short letter, and WeasyPrint's documentation shares one between documents."""
    kit = getattr(_local, "kit", None)
    if kit is None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
        base = weasyprint.CSS(string=BASE_CSS, font_config=fonts, url_fetcher=fetcher)
        kit = _local.kit = (fonts, base, fetcher)
    return kit


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html`` (WeasyPrint), the base CSS first; nothing is fetched from outside
    (``data:`` URLs only), so a template cannot read files or reach other servers."""
    import weasyprint

    fonts, base, fetcher = _weasyprint_kit()
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[base], font_config=fonts)


def render_docx(data: bytes, context: dict) -> bytes:
    from docxtpl import DocxTemplate

    template = DocxTemplate(io.BytesIO(data))
    template.render(context, jinja_env=DOCX_ENV, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


SINGLE = re.compile(r"^\s*\{\{(.+?)\}\}\s*$", re.S)


def render_xlsx(data: bytes, context: dict) -> bytes:
    """Each text cell with a tag drawn; a cell that is only ``{{ value }}`` of a number or a
    date takes the value itself (Excel can count with it); drawn text that would start a
    formula stays text."""
    from openpyxl import load_workbook

    from crm.spreadsheets import looks_like_formula

    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if not (isinstance(value, str) and CELL_TAG.search(value)):
                    continue
                single = SINGLE.match(value)
                if single:
                    result = TEXT_ENV.compile_expression(single.group(1))(**context)
                    if isinstance(result, Raw) and result.value is not None:
                        cell.value = result.value
                        continue
                text = TEXT_ENV.from_string(value).render(context)
                cell.value = text
                if looks_like_formula(text) or text.startswith("="):
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(engine: str, data: bytes, context: dict, *, key=None) -> bytes:
    """The output file of a template: DOCX, XLSX or PDF bytes. ``TemplateProblem`` when the
    template cannot be drawn with this context."""
    try:
        if engine == "html":
            return html_to_pdf(render_html(data, context, key=key))
        if engine == "docx":
            return render_docx(data, context)
        if engine == "xlsx":
            return render_xlsx(data, context)
    except TemplateProblem:
        raise
    except jinja2.TemplateError as error:
        text, line = _drawing_error(error)
        where = f" ({_('line %(n)s') % {'n': line}})" if line else ""
        raise TemplateProblem([f"{text}{where}"]) from error
    raise TemplateProblem([_("Unknown template kind.")])
