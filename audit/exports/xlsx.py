"""A small streaming XLSX writer: typed cells, frozen header, column widths, autofilter, print setup.

Why not openpyxl's ``write_only`` mode: it spends 14–20 µs of Python per
cell (a ``Cell`` object, style lookup, an XML element per value), so the
100,000-row, 25-column audits export took 50 s (34 s with lxml) against a
15 s target. Here a row is one formatted string: the same export takes
about 4 s (``benchmarks/bench_export.py``). The files are read back with
openpyxl in the tests, which is the check that they are well formed.

What it writes (ECMA-376, the parts every spreadsheet reads): one
worksheet per :class:`Sheet`, strings inline (``t="inlineStr"``: always
text, never a formula, so a note starting with "=" stays a note), numbers
as numbers, times as Excel serial date-times with a date-time format,
shares (0–1) as percentages, booleans as booleans, a bold frozen header,
column widths and an autofilter over the written rows; print setup
(landscape, fitted to the page width, the header row repeated on every
printed page, the sheet and *print_header* at the top, page numbers at the
bottom), durations in seconds (``0.0``) and ratios such as kappa to two
decimals (``0.00``); optionally a
description and custom document properties (``docProps/``), where a file
says what it was made from without adding a sheet that machines would
read as data.
"""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

__all__ = ["KINDS", "Sheet", "write"]

KINDS = ("int", "float", "share", "ratio", "seconds", "text", "time", "list", "bool")
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
SHARE_FORMAT = "0.0%"
RATIO_FORMAT = "0.00"
SECONDS_FORMAT = "0.0"
MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header row included: a longer sheet makes a book it cannot open
_EPOCH = _dt.datetime(1899, 12, 30)  # Excel's 1900 date system, day 0
_MAX_TEXT = 32_767  # Excel's limit for one cell
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
_HEADER, _TIME, _SHARE, _RATIO, _SECONDS = 1, 2, 3, 4, 5  # cellXfs indexes in _STYLES
_STYLED = {"share": _SHARE, "ratio": _RATIO, "seconds": _SECONDS}


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    kinds: Sequence[str]  # one of KINDS per column
    widths: Sequence[float]  # in characters
    rows: Iterable[Sequence[Any]]
    data: bool = True  # rows counted by on_row, under an autofilter; False for a sheet of notes ("About")
    print_header: str = ""  # printed at the top right of every page (what and which period)
    empty: str = ""  # a data sheet without rows says this under its header (outside its filter range)


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str, ref: str, style: str = "") -> str:
    inline = _short_inline(value) if len(value) <= _SHORT else _inline(value)
    return f'<c r="{ref}"{style} t="inlineStr">{inline}</c>'


def _inline(value: str) -> str:
    """A text cell's content: cut to Excel's limit, without XML's forbidden characters, escaped."""
    return f'<is><t xml:space="preserve">{escape(_ILLEGAL.sub("", value[:_MAX_TEXT]))}</t></is>'


_SHORT = 80
#: Short texts (queues, actions, verdicts, names) repeat on every row: each distinct one is made once. Long ones
#: (notes, comments) are seldom repeated and would make the cache's memory grow with them; they are not kept.
_short_inline = functools.lru_cache(maxsize=4096)(_inline)


def _cell_writer(kind: str) -> Callable[[Any, str], str]:
    """value, cell reference -> the cell's XML ("" for an empty cell)."""
    if kind in ("int", "float"):
        return lambda v, ref: "" if v is None else f'<c r="{ref}"><v>{v!r}</v></c>'
    if kind in _STYLED:
        style = _STYLED[kind]
        return lambda v, ref: "" if v is None else f'<c r="{ref}" s="{style}"><v>{v!r}</v></c>'
    if kind == "bool":
        return lambda v, ref: "" if v is None else f'<c r="{ref}" t="b"><v>{int(bool(v))}</v></c>'
    if kind == "time":
        def time_cell(v: Any, ref: str) -> str:
            if v is None:
                return ""
            moment = _dt.datetime.fromisoformat(v) if isinstance(v, str) else v
            if moment.tzinfo is not None:  # Excel has no zones: UTC, as the header says
                moment = moment.astimezone(_dt.UTC).replace(tzinfo=None)
            delta = moment - _EPOCH
            serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
            return f'<c r="{ref}" s="{_TIME}"><v>{serial!r}</v></c>'
        return time_cell
    if kind == "list":
        return lambda v, ref: _text("; ".join(v), ref) if v else ""
    if kind == "text":
        return lambda v, ref: "" if v is None or v == "" else _text(str(v), ref)
    raise ValueError(f"unknown column kind {kind!r}; one of {', '.join(KINDS)}")


def _sheet_xml(sheet: Sheet, rows: Iterator[Sequence[Any]], out: IO[bytes],
               on_row: Callable[[], None] | None) -> str | None:
    """Stream a worksheet part of *sheet* with the next *rows*, for a data sheet at most MAX_ROWS - 1 of them (the
    rest are left in the iterator); return the autofilter range (header and every row written), None for a sheet
    that is not data (a few lines of notes, never split)."""
    width = len(sheet.headers)
    if len(sheet.kinds) != width or len(sheet.widths) != width:
        raise ValueError(f"sheet {sheet.title!r}: headers, kinds and widths need one entry per column")
    letters = [column_letter(i) for i in range(1, width + 1)]
    writers = [_cell_writer(kind) for kind in sheet.kinds]
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(sheet.widths, 1))
    header = "".join(_text(h, f"{letter}1", f' s="{_HEADER}"') for h, letter in zip(sheet.headers, letters))
    out.write(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
        ' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData><row r="1">{header}</row>'.encode()
    )
    number, batch = 1, []
    for row in itertools.islice(rows, MAX_ROWS - 1) if sheet.data else rows:
        number += 1
        cells = "".join([w(v, f"{letter}{number}") for w, v, letter in zip(writers, row, letters)])
        batch.append(f'<row r="{number}">{cells}</row>')
        if len(batch) == 500:
            out.write("".join(batch).encode())
            batch.clear()
        if on_row is not None and sheet.data:
            on_row()
    if number == 1 and sheet.empty:
        batch.append(f'<row r="2">{_text(sheet.empty, "A2")}</row>')
    out.write("".join(batch).encode())
    area = f"A1:{letters[-1]}{number}"
    top = escape(f"&L&A&R{sheet.print_header.replace('&', '&&')}")
    out.write(f'</sheetData>{f"<autoFilter ref={chr(34)}{area}{chr(34)}/>" if sheet.data else ""}'
              '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
              '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
              f'<headerFooter><oddHeader>{top}</oddHeader><oddFooter>&amp;RPage &amp;P of &amp;N</oddFooter>'
              '</headerFooter></worksheet>'.encode())
    return area if sheet.data else None


def sheet_title(title: str, taken: set[str]) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


def write(path: str | Path, sheets: Sequence[Sheet], on_row: Callable[[], None] | None = None, *,
          properties: Mapping[str, int | str] | None = None, description: str = "") -> None:
    """Write *sheets* to the workbook at *path*; *on_row* is called after each data row (progress, cancel).

    A sheet with more rows than Excel holds (:data:`MAX_ROWS`, its header included) goes on in further
    sheets, "Decisions (2)", "Decisions (3)", each with the header row, filter and print setup of the first:
    a person opens every part, and a sheet past the limit would make a workbook Excel refuses whole. How many
    sheets there are is known only once the rows have streamed, so the parts that list them are written last.
    *properties* become custom document properties (whole numbers as numbers),
    *description* the document's description (File ▸ Info in Excel).
    """
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    taken: set[str] = set()
    titles: list[str] = []
    areas: list[str | None] = []
    # Level 1: the rows' XML is repetitive enough that the fastest deflate still makes it ten times smaller,
    # and level 5 spent a sixth of a large export's time compressing.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("docProps/core.xml", _core(description))
        book.writestr("docProps/custom.xml", _custom(properties or {}))
        book.writestr("xl/styles.xml", _STYLES)
        for sheet in sheets:
            rows, part = iter(sheet.rows), 1
            while True:
                titles.append(sheet_title(sheet.title if part == 1 else f"{sheet.title} ({part})", taken))
                with book.open(f"xl/worksheets/sheet{len(titles)}.xml", "w", force_zip64=True) as out:
                    areas.append(_sheet_xml(sheet, rows, out, on_row))
                following = next(rows, None) if sheet.data else None
                if following is None:
                    break
                rows, part = itertools.chain([following], rows), part + 1
        book.writestr("[Content_Types].xml", _content_types(len(titles)))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(titles)))
        book.writestr("xl/workbook.xml", _workbook(titles, areas))


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PACKAGE}/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/custom-properties" Target="docProps/custom.xml"/></Relationships>'
)
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one format id of user-defined properties


def _core(description: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<cp:coreProperties xmlns:cp="{_PACKAGE}/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dc:creator>Veil</dc:creator><dc:description>{escape(_ILLEGAL.sub("", description))}</dc:description>'
        '</cp:coreProperties>'
    )


def _custom(properties: Mapping[str, int | str]) -> str:
    """Custom properties; an int that fits 32 bits is a number (``vt:i4``), anything else text."""
    items = []
    for pid, (name, value) in enumerate(properties.items(), 2):  # pids start at 2 (the standard's rule)
        if isinstance(value, int) and -(2**31) <= value < 2**31:
            typed = f"<vt:i4>{value}</vt:i4>"
        else:
            typed = f"<vt:lpwstr>{escape(_ILLEGAL.sub('', str(value)))}</vt:lpwstr>"
        items.append(f'<property fmtid="{_CUSTOM_FMTID}" pid="{pid}" name="{escape(name, {chr(34): "&quot;"})}">'
                     f"{typed}</property>")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{_OFFICE}/custom-properties"'
        f' xmlns:vt="{_OFFICE}/docPropsVTypes">{"".join(items)}</Properties>'
    )


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_MAIN}">'
    f'<numFmts count="4"><numFmt numFmtId="164" formatCode="{TIME_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{SHARE_FORMAT}"/><numFmt numFmtId="166" formatCode="{RATIO_FORMAT}"/>'
    f'<numFmt numFmtId="167" formatCode="{SECONDS_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE8ECF0"/><bgColor indexed="64"/></patternFill></fill>'
    '</fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml"'
        ' ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/custom.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
        f'{overrides}</Types>'
    )


def _workbook(titles: Sequence[str], areas: Sequence[str | None]) -> str:
    """The sheet list, the hidden filter ranges Excel expects beside each autofilter, and each sheet's print
    titles (its header row, repeated on every printed page)."""
    sheets = "".join(f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
                     for n, t in enumerate(titles, 1))
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quoted(t))}!{_absolute(area)}</definedName>" for i, (t, area) in enumerate(zip(titles, areas))
        if area)
    filters += "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{escape(_quoted(t))}!$1:$1'
                       "</definedName>" for i, t in enumerate(titles))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets>'
        f"<definedNames>{filters}</definedNames></workbook>"
    )


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(area: str) -> str:
    """A1:Y9 -> $A$1:$Y$9."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in area.split(":"))


def _workbook_rels(sheets: int) -> str:
    links = "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                    for n in range(1, sheets + 1))
    styles = f'<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{links}{styles}'
            '</Relationships>')
