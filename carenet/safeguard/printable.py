"""The printable 强制报告登记表 (PDF through WeasyPrint, .docx through python-docx), from
one ``selectors.ReportForm``: 报告单位与报告人, 受理单位, 未成年人基本情况, 发现时间、地点
和经过, 已采取的措施, 受理回执, signatures. Word shows the Chinese in 宋体 because every
run names its East-Asian font."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.run import Run

from carenet.lib.pdf import render_pdf
from carenet.safeguard.selectors import ReportForm

STYLESHEET = "safeguard/report_form.css"
LATIN_FONT = "Times New Roman"
TITLE_FONT = "黑体"
TABLE_FONT = "宋体"


def when(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value is not None else ""


def form_rows(form: ReportForm) -> list[tuple[str, str]]:
    """The form's rows (label, value), in the order of the paper form: one generator for
    the PDF and the .docx."""
    guardians = "；".join(
        "，".join(p for p in (relation, name, phone) if p)
        for relation, name, phone in form.guardians
    )
    return [
        (_("报告单位"), form.reporter_unit),
        (_("报告人"), form.reporter),
        (_("联系电话"), form.reporter_phone),
        (_("报告时间"), when(form.reported_at)),
        (_("受理单位"), form.agency),
        (_("报告情形"), form.category),
        (_("未成年人姓名"), form.child_name),
        (_("性别"), form.gender),
        (_("出生日期"), f"{form.birth_date:%Y-%m-%d}"),
        (_("身份证号"), form.id_number),
        (_("就读学校"), form.school),
        (_("现住址"), form.address),
        (_("监护人及联系方式"), guardians),
        (_("发现时间"), when(form.found_at)),
        (_("发现时间、地点和经过"), form.facts),
        (_("已采取的措施"), form.measures),
        (_("受理回执：接收人"), form.receiver),
        (_("回执编号"), form.receipt_number),
        (_("回执时间"), when(form.receipt_at)),
    ]


def form_pdf(form: ReportForm) -> bytes:
    return render_pdf(
        "safeguard/report_form_pdf.html",
        {"form": form, "rows": form_rows(form), "printed": timezone.localdate()},
        stylesheets=[STYLESHEET],
    )


def _font(run: Run, east_asia: str, *, size: float, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)


def _borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "4")
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "000000")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def form_docx(form: ReportForm) -> bytes:
    document = new_document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin = section.right_margin = Mm(20)
    document.core_properties.title = form.title
    document.core_properties.author = ""
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(form.title), TITLE_FONT, size=18, bold=True)
    rows = form_rows(form)
    table = document.add_table(rows=len(rows), cols=2)
    _borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = (Mm(45), Mm(125))
    for i, column in enumerate(table.columns):
        column.width = widths[i]
        for cell in column.cells:
            cell.width = widths[i]
    tall = {_("发现时间、地点和经过"), _("已采取的措施")}
    for r, (label, value) in enumerate(rows):
        label_cell, value_cell = table.rows[r].cells
        _font(label_cell.paragraphs[0].add_run(label), TABLE_FONT, size=10.5, bold=True)
        lines = (value or "").split("\n")
        if label in tall:
            table.rows[r].height = Mm(30)
        paragraph = value_cell.paragraphs[0]
        for i, line in enumerate(lines):
            if i:
                paragraph = value_cell.add_paragraph()
            _font(paragraph.add_run(line), TABLE_FONT, size=10.5)
    document.add_paragraph()
    for line in (
        _("报告人（签名）：________________　　日期：____年__月__日"),
        _("报告单位（盖章）：________________　　日期：____年__月__日"),
        _("受理单位接收人（签名）：________________　　日期：____年__月__日"),
    ):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(8)
        _font(paragraph.add_run(line), TABLE_FONT, size=11)
    note = document.add_paragraph()
    _font(
        note.add_run(_("本表涉及未成年人隐私，仅供受理单位办案使用，不得公开或转作他用。")),
        TABLE_FONT,
        size=9,
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
