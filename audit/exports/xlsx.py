"""A small streaming XLSX writer: typed cells, frozen header, column widths, autofilter, print setup.

Why not openpyxl's ``write_only`` mode: it spends 14–20 µs of Python per
cell (a ``Cell`` object, style lookup, an XML element per value), so the
100,000-row, 25-column audits export took 50 s (34 s with lxml) against a
15 s target. Here the rows come in batches of columns
(:mod:`audit.exports.batches`) and each column becomes its cells' XML at
once: numbers through one ``str.format`` per column, times through C calls
only (``fromisoformat``, a subtraction, a division), texts through a table
of the cells already made (a queue, an action or a name is escaped once per
export). So a data cell carries no reference (``<c>`` without ``r``: the
standard's "the next column", which Excel, LibreOffice, Google Sheets and
openpyxl read; an empty cell is an empty ``<c/>`` holding its place), since
a reference is the one part of a cell that differs on every row; each row
keeps its number. The files are read back with openpyxl in the tests, which
is the check that they are well formed.

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
import itertools
import operator
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from audit.exports.batches import Batch, Memo, length

__all__ = ["KINDS", "Sheet", "write"]

KINDS = ("int", "float", "share", "ratio", "seconds", "text", "time", "list", "bool")
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
SHARE_FORMAT = "0.0%"
RATIO_FORMAT = "0.00"
SECONDS_FORMAT = "0.0"
MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header row included: a longer sheet makes a book it cannot open
_EPOCH = _dt.datetime(1899, 12, 30, tzinfo=_dt.UTC)  # Excel's 1900 date system, day 0 (in UTC: Excel has no zones)
_DAY = _dt.timedelta(days=1)
_MAX_TEXT = 32_767  # Excel's limit for one cell
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what _inline escapes or removes
_HEADER, _TIME, _SHARE, _RATIO, _SECONDS = 1, 2, 3, 4, 5  # cellXfs indexes in _STYLES
_STYLED = {"share": _SHARE, "ratio": _RATIO, "seconds": _SECONDS}


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    kinds: Sequence[str]  # one of KINDS per column
    widths: Sequence[float]  # in characters
    batches: Iterable[Batch]  # the rows, in batches of columns
    data: bool = True  # rows counted by on_rows, under an autofilter; False for a sheet of notes ("About")
    print_header: str = ""  # printed at the top right of every page (what and which period)
    empty: str = ""  # a data sheet without rows says this under its header (outside its filter range)


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _inline(value: str) -> str:
    """A text cell's content: cut to Excel's limit, without XML's forbidden characters, escaped (one search first:
    most texts need neither)."""
    if len(value) > _MAX_TEXT or _SPECIAL.search(value):
        value = escape(_ILLEGAL.sub("", value[:_MAX_TEXT]))
    return f'<is><t xml:space="preserve">{value}</t></is>'


def _text(value: str) -> str:
    return f'<c t="inlineStr">{_inline(value)}</c>'


_EMPTY = "<c/>"  # an empty cell keeps its column's place in a row of cells without references
_PLAIN_TEXT = '<c t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>'.format  # _text of a text needing nothing
_SHORT = 80
_KEPT = 4096


class _TextCells(dict[Any, str]):
    """Text cells by value. Short texts (queues, actions, verdicts, names) repeat on every row: each is made
    once; long ones (notes, comments) are seldom repeated and would make the table's memory grow with them, so
    they are made each time, as are values that are not text (never confused with an equal text's cell).

    A column whose values seldom repeat (external ids, comments: most of a batch made anew) is made a batch at a
    time instead, when its texts need no escaping: one search of them all, then one format each, without a
    Python call per cell."""

    def __init__(self) -> None:
        super().__init__({None: _EMPTY, "": _EMPTY})
        self._made = 0  # cells made anew (not found made)
        self._unique = False  # the last batch made most of its cells anew

    def __missing__(self, value: Any) -> str:
        self._made += 1
        if type(value) is not str:
            return _text(str(value))
        cell = _text(value)
        if len(value) <= _SHORT:
            if len(self) >= _KEPT:
                self.clear()
                self.update({None: _EMPTY, "": _EMPTY})
            self[value] = cell
        return cell

    def column(self, values: Sequence[Any]) -> list[str]:
        if self._unique:
            try:
                joined = "\n".join(values)  # a line break is XML's own: never escaped or removed
            except TypeError:  # an empty cell (None) or a value that is not text: one by one
                joined = None
            if joined is not None and "" not in values and not _SPECIAL.search(joined) and \
                    max(map(len, values), default=0) <= _MAX_TEXT:
                return list(map(_PLAIN_TEXT, values))
        self._made = 0
        made = list(map(self.__getitem__, values))
        self._unique = self._made > len(values) // 2
        return made


_TIME_CELL = f'<c s="{_TIME}"><v>{{!r}}</v></c>'.format
_ROW = '<row r="{}">{}</row>'.format


def _time_cell(value: Any) -> str:
    if value is None:
        return _EMPTY
    moment = _dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # Excel has no zones: UTC, as the header says
        moment = moment.replace(tzinfo=_dt.UTC)
    return _TIME_CELL((moment - _EPOCH) / _DAY)


def _times(values: Sequence[Any]) -> list[str]:
    """Excel serial date-times (days since day 0, UTC): Veil's canonical times (ISO text with its zone) by C
    calls alone, empty cells kept in their places (a column of them, such as a dispute's resolution time, at
    once); a datetime or a time without a zone cell by cell."""
    try:
        if None not in values:
            return _serials(values)
        if not any(values):  # nothing but empty cells (no time is an empty text)
            return [_EMPTY] * len(values)
        made = iter(_serials([v for v in values if v is not None]))
        return [_EMPTY if v is None else next(made) for v in values]
    except (TypeError, ValueError):
        return list(map(_time_cell, values))


def _serials(values: Sequence[Any]) -> list[str]:
    since = map(operator.sub, map(_dt.datetime.fromisoformat, values), itertools.repeat(_EPOCH))
    return list(map(_TIME_CELL, map(operator.truediv, since, itertools.repeat(_DAY))))


def _numbers(template: str) -> Callable[[Sequence[Any]], list[str]]:
    cell = template.format

    def cells(values: Sequence[Any]) -> list[str]:
        if None in values:
            return [_EMPTY if v is None else cell(v) for v in values]
        return list(map(cell, values))

    return cells


def _column_cells(kind: str) -> Callable[[Sequence[Any]], list[str]]:
    """A column's values -> their cells' XML (one converter per column and sheet, its memo with it)."""
    if kind in ("int", "float"):
        return _numbers("<c><v>{!r}</v></c>")
    if kind in _STYLED:
        return _numbers(f'<c s="{_STYLED[kind]}"><v>{{!r}}</v></c>')
    if kind == "bool":
        return Memo(lambda v: _EMPTY if v is None else f'<c t="b"><v>{int(bool(v))}</v></c>').column
    if kind == "time":
        return _times
    if kind == "list":
        return Memo(lambda v: _text("; ".join(v)) if v else _EMPTY).column
    if kind == "text":
        return _TextCells().column
    raise ValueError(f"unknown column kind {kind!r}; one of {', '.join(KINDS)}")


def _sheet_xml(sheet: Sheet, batches: Iterator[Batch], out: _Behind,
               on_rows: Callable[[int], None] | None) -> tuple[str | None, Batch | None]:
    """Stream a worksheet part of *sheet* with the next *batches*, for a data sheet at most MAX_ROWS - 1 rows (a
    batch the limit cuts is returned, the rest stay in the iterator); return the autofilter range (header and every
    row written), None for a sheet that is not data (a few lines of notes, never split), and what is left of a
    cut batch."""
    width = len(sheet.headers)
    if len(sheet.kinds) != width or len(sheet.widths) != width:
        raise ValueError(f"sheet {sheet.title!r}: headers, kinds and widths need one entry per column")
    letters = [column_letter(i) for i in range(1, width + 1)]
    cells = [_column_cells(kind) for kind in sheet.kinds]
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(sheet.widths, 1))
    header = "".join(f'<c r="{letter}1" s="{_HEADER}" t="inlineStr">{_inline(h)}</c>'
                     for h, letter in zip(sheet.headers, letters))
    out.write(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
        ' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData><row r="1">{header}</row>'.encode()
    )
    number, left = 1, None
    for batch in batches:
        size = length(batch)
        room = MAX_ROWS - number
        if sheet.data and size > room:
            batch, left, size = [values[:room] for values in batch], [values[room:] for values in batch], room
        rows = map("".join, zip(*[convert(values) for convert, values in zip(cells, batch, strict=True)]))
        out.write("".join(map(_ROW, range(number + 1, number + size + 1), rows)).encode())
        number += size
        if on_rows is not None and sheet.data:
            on_rows(size)
        if sheet.data and number == MAX_ROWS:
            break
    if number == 1 and sheet.empty:
        out.write(f'<row r="2"><c r="A2" t="inlineStr">{_inline(sheet.empty)}</c></row>'.encode())
    area = f"A1:{letters[-1]}{number}"
    top = escape(f"&L&A&R{sheet.print_header.replace('&', '&&')}")
    out.write(f'</sheetData>{f"<autoFilter ref={chr(34)}{area}{chr(34)}/>" if sheet.data else ""}'
              '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
              '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
              f'<headerFooter><oddHeader>{top}</oddHeader><oddFooter>&amp;RPage &amp;P of &amp;N</oddFooter>'
              '</headerFooter></worksheet>'.encode())
    return (area if sheet.data else None), left


class _Behind:
    """A worksheet part written on a second thread: deflate, its checksum and the file write release the
    interpreter, so one batch's XML is compressed (a sixth of an export's time) while the next is made. At most
    two batches wait (memory stays flat); a failure of the writes is raised by the next write or :meth:`close`."""

    def __init__(self, out: IO[bytes]):
        self._out, self._waiting = out, queue.Queue[bytes | None](maxsize=2)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._write_all, name="xlsx-part", daemon=True)
        self._thread.start()

    def _write_all(self) -> None:
        while (data := self._waiting.get()) is not None:
            if self._failed is None:
                try:
                    self._out.write(data)
                except BaseException as failure:  # raised on the export's own thread
                    self._failed = failure

    def write(self, data: bytes) -> None:
        if self._failed is not None:
            raise self._failed
        self._waiting.put(data)

    def close(self) -> None:
        """Wait for every write handed over (once; again: nothing), raising what failed."""
        if self._thread.is_alive():
            self._waiting.put(None)
            self._thread.join()
        if self._failed is not None:
            raise self._failed


def sheet_title(title: str, taken: set[str]) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


def write(path: str | Path, sheets: Sequence[Sheet], on_rows: Callable[[int], None] | None = None, *,
          properties: Mapping[str, int | str] | None = None, description: str = "") -> None:
    """Write *sheets* to the workbook at *path*; *on_rows* is called with each batch's data rows once they are
    written (progress, cancel).

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
            batches, part = iter(sheet.batches), 1
            while True:
                titles.append(sheet_title(sheet.title if part == 1 else f"{sheet.title} ({part})", taken))
                with book.open(f"xl/worksheets/sheet{len(titles)}.xml", "w", force_zip64=True) as part_file:
                    out = _Behind(part_file)
                    try:
                        area, left = _sheet_xml(sheet, batches, out, on_rows)
                    finally:
                        out.close()
                areas.append(area)
                following = left if left is not None else next(batches, None) if sheet.data else None
                if following is None:
                    break
                batches, part = itertools.chain([following], batches), part + 1
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
