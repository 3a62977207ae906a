"""Forms of the spreadsheet pages: what to export, which register to import."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.exchange.export import CANONICAL, LAYOUTS
from carenet.orgs.models import Org

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
IMPORT_SUFFIXES = (".xlsx", ".xls", ".csv")


class ExportFormat:
    XLSX = "xlsx"
    CSV = "csv"
    PRINT = "print"
    choices = [
        (XLSX, _("Excel 表格（.xlsx）")),
        (CSV, _("CSV 文本（.csv）")),
        (PRINT, _("打印版（A4 横向）")),
    ]


def org_label(org: Org) -> str:
    return f"{org.name}（{org.get_kind_display()}）"


class ExportForm(forms.Form):
    org = forms.ModelChoiceField(queryset=Org.objects.none(), label=_("单位"))
    format = forms.ChoiceField(
        choices=ExportFormat.choices, initial=ExportFormat.XLSX, label=_("格式")
    )
    layout = forms.ChoiceField(
        choices=[(key, layout.label) for key, layout in LAYOUTS.items()],
        initial=CANONICAL.key,
        required=False,
        label=_("表格样式"),
        help_text=_(
            "民政部花名册只列出民政口径的农村留守儿童（不满16周岁、农村户籍，父母双方外出或"
            "一方外出另一方无监护能力）；学籍系统标识只列出在校学生，是否留守儿童按 0 非留守、"
            "1 单亲留守、2 双亲留守填写。"
        ),
    )
    all_children = forms.BooleanField(
        required=False,
        label=_("民政部花名册也列出非留守儿童"),
    )
    unmasked = forms.BooleanField(
        required=False,
        label=_("显示完整身份证号和电话"),
        help_text=_(
            "默认导出时身份证号和电话打码（如 340827********1234、138****5678）。"
            "勾选后只导出您有权查看完整联系方式的儿童。"
        ),
    )

    def __init__(self, *args, orgs: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["org"]
        field.queryset = orgs
        field.label_from_instance = org_label
        field.empty_label = None

    def clean_layout(self) -> str:
        return self.cleaned_data.get("layout") or CANONICAL.key


class ImportForm(forms.Form):
    school = forms.ModelChoiceField(
        queryset=Org.objects.none(),
        label=_("导入到学校或村"),
        help_text=_("导入到村：不在校的儿童（0—5岁、辍学、送教上门）按村建档，不分班级"),
    )
    file = forms.FileField(
        label=_("花名册文件"),
        help_text=_("Excel（.xlsx、.xls）或 CSV 文件，不超过 20 MB。"),
    )

    def __init__(self, *args, schools: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school"]
        field.queryset = schools
        field.label_from_instance = org_label
        field.empty_label = None
        self.fields["file"].widget.attrs["accept"] = ",".join(IMPORT_SUFFIXES)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in IMPORT_SUFFIXES:
            raise forms.ValidationError(_("请上传 Excel（.xlsx、.xls）或 CSV 文件。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过 20 MB，请拆分后分批导入。"))
        return upload
