"""Word documents (.docx, python-docx) from a ``layout.Document``: what schools hand in.

Chinese shows in Word's Chinese faces because every run names its East-Asian font
(``w:eastAsia``) besides the Latin one: 方正小标宋/黑体 for the title and headings, 仿宋 for
the body, 宋体 in tables — the look of a 公文. Tables have single borders on every cell.
"""

from __future__ import annotations

import io

from docx import Document as new_document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.text.run import Run

from carenet.reports.layout import Document, Heading, Paragraph, Table

LATIN_FONT = "Times New Roman"
TITLE_FONT = "黑体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋"
TABLE_FONT = "宋体"
BODY_SIZE = Pt(14)  # 四号
TABLE_SIZE = Pt(10.5)  # 五号
TITLE_SIZE = Pt(20)  # 二号
GREY = RGBColor(0x55, 0x55, 0x55)
BLACK = RGBColor(0, 0, 0)
_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT}


def set_font(run: Run, east_asia: str, *, size: Pt | None = None, bold: bool = False) -> None:
    """Name the run's Latin and East-Asian fonts (``w:rFonts w:eastAsia``)."""
    run.font.name = LATIN_FONT
    run.font.bold = bold
    if size is not None:
        run.font.size = size
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _base_styles(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = BODY_SIZE
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.line_spacing = 1.25
    normal.paragraph_format.space_after = Pt(0)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(25)


def _cell_borders(table) -> None:
    """Single borders on every edge and inside line (does not rely on a table style)."""
    props = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "4")
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "000000")
        borders.append(element)
    props.append(borders)


def _shade(cell, fill: str = "EEEEEE") -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _write_cell(cell, text: str, *, bold: bool, align) -> None:
    lines = text.split("\n")
    paragraph = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            paragraph = cell.add_paragraph()
        paragraph.alignment = align
        paragraph.paragraph_format.line_spacing = 1.0
        run = paragraph.add_run(line)
        set_font(run, TABLE_FONT, size=TABLE_SIZE, bold=bold)


def _table(document, block: Table) -> None:
    columns = len(block.header)
    table = document.add_table(rows=1 + len(block.rows), cols=columns)
    try:
        table.style = "Table Grid"
    except KeyError:  # a template without the style: the borders below suffice
        pass
    _cell_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    usable = Mm(160)
    weights = block.widths or (1,) * columns
    table.autofit = False
    for i, column in enumerate(table.columns):
        width = int(usable * weights[i] / sum(weights))
        column.width = width  # w:gridCol, which LibreOffice and WPS read
        for cell in column.cells:
            cell.width = width
    for i, text in enumerate(block.header):
        cell = table.rows[0].cells[i]
        _write_cell(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _shade(cell)
    for r, row in enumerate(block.rows, 1):
        for i, text in enumerate(row):
            align = WD_ALIGN_PARAGRAPH.RIGHT if i in block.numeric else WD_ALIGN_PARAGRAPH.LEFT
            _write_cell(table.rows[r].cells[i], text, bold=False, align=align)
    document.add_paragraph()


def _heading(document, block: Heading) -> None:
    level = min(block.level, 3)
    paragraph = document.add_heading(level=level)
    paragraph.paragraph_format.space_before = Pt(10 if level == 1 else 6)
    paragraph.paragraph_format.space_after = Pt(4)
    if level == 3:
        paragraph.paragraph_format.first_line_indent = Cm(0.99)
    font = HEADING_FONT if level == 1 else BODY_FONT
    run = paragraph.add_run(block.text)
    set_font(run, font, size=BODY_SIZE, bold=level > 1)
    run.font.color.rgb = BLACK
    run.font.italic = False


def _paragraph(document, block: Paragraph) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = _ALIGN.get(block.align, WD_ALIGN_PARAGRAPH.LEFT)
    if block.indent:
        paragraph.paragraph_format.first_line_indent = Cm(0.99)  # two characters
    run = paragraph.add_run(block.text)
    set_font(run, BODY_FONT, size=Pt(12) if block.note else BODY_SIZE)
    if block.note:
        run.font.color.rgb = GREY


def render_docx(layout: Document) -> bytes:
    """The document as .docx bytes."""
    document = new_document()
    _base_styles(document)
    document.core_properties.title = layout.title
    document.core_properties.author = ""
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    set_font(title.add_run(layout.title), TITLE_FONT, size=TITLE_SIZE, bold=True)
    for line in layout.lines:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(paragraph.add_run(line), BODY_FONT, size=BODY_SIZE)
    for note in layout.notes:
        _paragraph(document, Paragraph(note, indent=False, note=True))
    for block in layout.blocks:
        if isinstance(block, Heading):
            _heading(document, block)
        elif isinstance(block, Table):
            _table(document, block)
        else:
            _paragraph(document, block)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
