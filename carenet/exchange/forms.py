"""Forms of the spreadsheet pages: what to export, which register to import."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.exchange.columns import field_groups, field_label
from carenet.exchange.export import CANONICAL, LAYOUTS
from carenet.exchange.importer import ColumnChoice, HeaderColumn
from carenet.exchange.importer.header import REQUIRED_KEYS
from carenet.lib.forms import label_choices, model_choice
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
        field = model_choice(self, "org")
        field.queryset = orgs
        label_choices(field, org_label)
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
        field = model_choice(self, "school")
        field.queryset = schools
        label_choices(field, org_label)
        field.empty_label = None
        self.fields["file"].widget.attrs["accept"] = ",".join(IMPORT_SUFFIXES)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in IMPORT_SUFFIXES:
            raise forms.ValidationError(_("请上传 Excel（.xlsx、.xls）或 CSV 文件。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过 20 MB，请拆分后分批导入。"))
        return upload


def mapping_field_choices() -> list[tuple[str | Promise, object]]:
    """The drop-down of a column: 未使用, then the fields by group (儿童 / 父亲 / …)."""
    choices: list[tuple[str | Promise, object]] = [("", _("未使用"))]
    for group, fields in field_groups():
        choices.append((group or _("儿童"), fields))
    return choices


class MappingForm(forms.Form):
    """列对应: for each column of the header, the field it is, or 未使用. A field chosen
    for two columns, a field that does not exist, or no 姓名 / 身份证号 column is an
    error; ``choices()`` gives the mapping for ``import_preview``."""

    def __init__(self, *args, columns: list[HeaderColumn], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.columns = columns
        options = mapping_field_choices()
        for column in columns:
            # The column's own text in the message: "%" escaped for the params Django adds.
            text = column.text.replace("%", "%%")
            self.fields[self.name_of(column)] = forms.ChoiceField(
                choices=options,
                required=False,
                widget=forms.Select(attrs={"class": "form-select"}),
                label=column.text,
                initial=column.key or "",
                error_messages={
                    "invalid_choice": _("“%(column)s”列选择的字段不存在，请从列表中选择")
                    % {"column": text}
                },
            )

    @staticmethod
    def name_of(column: HeaderColumn) -> str:
        return f"c{column.column}"

    def rows(self) -> list[tuple[HeaderColumn, forms.BoundField]]:
        """Each column with its drop-down, in the file's order."""
        return [(column, self[self.name_of(column)]) for column in self.columns]

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # the base clean() returns cleaned_data
        if self.errors:
            return cleaned
        seen: dict[str, str] = {}
        for column in self.columns:
            key = cleaned.get(self.name_of(column))
            if not key:
                continue
            if key in seen:
                self.add_error(
                    self.name_of(column),
                    _("“%(field)s”已选给了“%(other)s”列，每个字段只能对应一列")
                    % {"field": field_label(key), "other": seen[key]},
                )
            seen[key] = column.text
        missing = [field_label(key) for key in REQUIRED_KEYS if key not in seen]
        if missing and not self.errors:
            raise forms.ValidationError(
                _("请指出哪一列是%(fields)s：这两列是导入必需的")
                % {"fields": "、".join(f"“{m}”" for m in missing)}
            )
        return cleaned

    def choices(self) -> list[ColumnChoice]:
        """Every column as chosen: a column left as CareNet took it stays automatic, one
        left as remembered stays remembered, any other is the user's choice."""
        chosen = []
        for column in self.columns:
            key = self.cleaned_data.get(self.name_of(column)) or None
            origin = column.origin if key == column.key else "user"
            chosen.append(ColumnChoice(column.column, column.text, key, origin))
        return chosen
