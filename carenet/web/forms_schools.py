"""Forms of the school pages: a new school, rename, move, merge, the school list upload and
the classes of each grade."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.lib.forms import model_choice
from carenet.orgs.grades import grade_name
from carenet.orgs.models import Org, SchoolStage
from carenet.schoolyear.schools import MAX_CLASSES, stage_levels

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
IMPORT_SUFFIXES = (".xlsx", ".xls", ".csv")


class SchoolForm(forms.Form):
    name = forms.CharField(label=_("学校名称"), max_length=100)
    code = forms.RegexField(
        label=_("学校标识码"),
        regex=r"^\s*\d{10}\s*$",
        error_messages={"invalid": _("学校标识码应为 10 位数字。")},
        help_text=_("全国统一的 10 位学校标识码。"),
    )
    township = forms.ModelChoiceField(queryset=Org.objects.none(), label=_("所在乡镇"))
    stage = forms.ChoiceField(label=_("办学类型"), choices=SchoolStage.choices)

    def __init__(self, *args, townships: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "township").queryset = townships
        self.fields["code"].widget.attrs["inputmode"] = "numeric"


class RenameForm(forms.Form):
    name = forms.CharField(label=_("新名称"), max_length=100)


class MoveForm(forms.Form):
    township = forms.ModelChoiceField(queryset=Org.objects.none(), label=_("移至乡镇"))

    def __init__(self, *args, townships: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "township").queryset = townships


class MergeTargetForm(forms.Form):
    """Step one of a merge (GET): the school to merge into."""

    into = forms.ModelChoiceField(queryset=Org.objects.none(), label=_("并入学校"))

    def __init__(self, *args, schools: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "into").queryset = schools


class MergeForm(forms.Form):
    """Step two (POST): the target school and, optionally, one class for every child."""

    target = forms.ModelChoiceField(queryset=Org.objects.none(), widget=forms.HiddenInput)
    target_class = forms.ModelChoiceField(
        queryset=Org.objects.none(),
        required=False,
        label=_("儿童并入的班级"),
        empty_label=_("保留原班级（班级整体并入对方学校的同一年级）"),
    )

    def __init__(
        self, *args, schools: QuerySet[Org], classes: QuerySet[Org] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "target").queryset = schools
        model_choice(self, "target_class").queryset = (
            classes if classes is not None else Org.objects.none()
        )


class SchoolImportForm(forms.Form):
    county = forms.ModelChoiceField(queryset=Org.objects.none(), label=_("县（区）"))
    file = forms.FileField(
        label=_("学校名单文件"),
        help_text=_(
            "Excel（.xlsx、.xls）或 CSV 文件：学校名称、学校标识码、所在乡镇、办学类型，"
            "可选各年级班级数。"
        ),
    )

    def __init__(self, *args, counties: QuerySet[Org], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice(self, "county")
        field.queryset = counties
        field.empty_label = None
        self.fields["file"].widget.attrs["accept"] = ",".join(IMPORT_SUFFIXES)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in IMPORT_SUFFIXES:
            raise forms.ValidationError(_("请上传 Excel（.xlsx、.xls）或 CSV 文件。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过 5 MB。"))
        return upload


class ClassesForm(forms.Form):
    """One number per grade of the school's stage: 一年级 [3] 个班."""

    def __init__(self, *args, school: Org, counts: dict[int, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        levels = sorted(set(stage_levels(school.stage)) | set(counts))
        for level in levels:
            self.fields[f"level_{level}"] = forms.IntegerField(
                label=grade_name(level),
                min_value=0,
                max_value=MAX_CLASSES,
                initial=counts.get(level, 0),
            )
            self.fields[f"level_{level}"].widget.attrs["inputmode"] = "numeric"

    def counts(self) -> dict[int, int]:
        return {
            int(name.split("_", 1)[1]): value
            for name, value in self.cleaned_data.items()
            if name.startswith("level_")
        }
