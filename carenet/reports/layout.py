"""One neutral layout per document, rendered alike to .docx (``docx.py``) and to PDF
(``reports/document_pdf.html``): a title, lines under it, then headings, paragraphs and
tables. What the documents say is decided here once, so both formats say the same."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from carenet.indicators.selectors import Indicator
from carenet.orgs.models import OrgKind
from carenet.reports.summary import WorkSummary, chinese_date
from carenet.reports.workplan import WorkPlan

_NUMERALS = "一二三四五六七八九十"
DASH = "—"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1: 一、…  2: （一）…  3: a case title
    kind: str = "heading"


@dataclass(frozen=True)
class Paragraph:
    text: str
    indent: bool = True  # first-line indent of two characters
    note: bool = False  # a remark in a smaller, grey type (a draft warning)
    align: str = "left"  # or "right" (the signature)
    kind: str = "paragraph"


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()  # columns aligned right
    widths: tuple[int, ...] = ()  # relative column widths (docx); empty: equal
    kind: str = "table"


Block = Heading | Paragraph | Table


@dataclass
class Document:
    title: str
    lines: list[str]  # under the title, centred
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # draft warnings, above the body

    def add(self, block: Block) -> None:
        self.blocks.append(block)

    def text(self) -> str:
        """Everything the document says, as plain text (tests, previews)."""
        parts = [self.title, *self.lines, *self.notes]
        for block in self.blocks:
            if isinstance(block, Table):
                parts += [" ".join(block.header), *(" ".join(row) for row in block.rows)]
            else:
                parts.append(block.text)
        return "\n".join(parts)


def numeral(n: int) -> str:
    return _NUMERALS[n - 1] if 1 <= n <= len(_NUMERALS) else str(n)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else DASH


def _value(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}%"


def _met(indicator: Indicator) -> str:
    if indicator.value is None:
        return _("暂无数据")
    if indicator.target is None:
        return DASH
    return _("达标") if indicator.value >= indicator.target else _("未达标")


def _scope_word(kind: str) -> str:
    return {
        OrgKind.COUNTY: _("全县"),
        OrgKind.TOWNSHIP: _("全镇"),
        OrgKind.VILLAGE: _("全村"),
        OrgKind.SCHOOL: _("我校"),
        OrgKind.GRADE: _("本年级"),
        OrgKind.CLASS: _("本班"),
    }.get(kind, _("本单位"))  # type: ignore[call-overload]  # str values of the choices


def summary_document(summary: WorkSummary) -> Document:
    """The work summary (工作总结) laid out like seed 002."""
    org, basics = summary.org, summary.basics
    scope = _scope_word(org.kind)
    doc = Document(
        title=summary.title,
        lines=[
            _("（%(period)s）") % {"period": summary.period_label},
        ],
    )
    if summary.drafted:
        doc.notes.append(
            _("草稿：“存在问题”和“下一步打算”是系统根据数据生成的参考文字，请修改补充后再上报。")
        )
    doc.add(
        Paragraph(
            _(
                "%(period)s，%(scope)s按照关爱留守儿童工作计划，落实结对帮扶、谈心、家访和"
                "家校联系等各项制度，关爱留守儿童健康成长。现将本期工作总结如下。"
            )
            % {"period": summary.period_label, "scope": scope}
        )
    )

    doc.add(Heading(_("%(n)s、基本情况") % {"n": numeral(1)}))
    doc.add(
        Paragraph(
            _(
                "截至%(end)s，%(scope)s在册儿童%(total)d名，其中留守儿童%(in_care)d名"
                "（双亲留守%(both)d名，单亲留守%(one)d名），符合民政部门认定标准的农村"
                "留守儿童%(civil)d名；留守儿童中男生%(boys)d名，女生%(girls)d名，寄宿"
                "%(boarding)d名。已为%(mentored)d名留守儿童落实代理家长，%(mentors)d位"
                "教师担任代理家长；%(buddies)d名留守儿童有学习帮手。"
            )
            % {
                "end": chinese_date(summary.end),
                "scope": scope,
                "total": basics.children_total,
                "in_care": basics.in_care,
                "both": basics.both_parents,
                "one": basics.one_parent,
                "civil": basics.civil,
                "boys": basics.boys,
                "girls": basics.girls,
                "boarding": basics.boarding,
                "mentored": basics.mentored,
                "mentors": basics.mentors,
                "buddies": basics.buddies,
            }
        )
    )
    whole = basics.in_care
    rows = [
        (_("双亲留守"), basics.both_parents),
        (_("单亲留守"), basics.one_parent),
        (_("民政口径留守儿童"), basics.civil),
        (_("男生"), basics.boys),
        (_("女生"), basics.girls),
        (_("寄宿"), basics.boarding),
        (_("有代理家长"), basics.mentored),
        (_("有学习帮手"), basics.buddies),
    ]
    doc.add(
        Table(
            header=(_("项目"), _("人数"), _("占留守儿童")),
            rows=(
                (_("在册儿童"), str(basics.children_total), DASH),
                (_("留守儿童"), str(whole), _pct(whole, whole)),
                *((label, str(n), _pct(n, whole)) for label, n in rows),
            ),
            numeric=frozenset({1, 2}),
            widths=(3, 1, 1),
        )
    )
    guardian_rows = [(_("委托监护人"), row.label, str(row.count)) for row in basics.guardians]
    if basics.no_guardian:
        guardian_rows.append((_("委托监护人"), _("未登记"), str(basics.no_guardian)))
    guardian_rows += [(_("监护状况"), row.label, str(row.count)) for row in basics.guardianship]
    if guardian_rows:
        doc.add(Paragraph(_("留守儿童的监护情况如下表。")))
        doc.add(
            Table(
                header=(_("类别"), _("项目"), _("人数")),
                rows=tuple(guardian_rows),
                numeric=frozenset({2}),
                widths=(2, 3, 1),
            )
        )

    doc.add(Heading(_("%(n)s、工作指标完成情况") % {"n": numeral(2)}))
    measured = [i for i in summary.indicators if i.value is not None and i.target is not None]
    met = sum(1 for i in measured if i.value >= i.target)  # type: ignore[misc,operator]  # both set
    doc.add(
        Paragraph(
            _(
                "对照工作计划的目标，截至%(end)s共有%(measured)d项指标可以计算，其中"
                "%(met)d项达到目标，%(below)d项低于目标。"
            )
            % {
                "end": chinese_date(summary.end),
                "measured": len(measured),
                "met": met,
                "below": len(measured) - met,
            }
        )
    )
    doc.add(
        Table(
            header=(_("指标"), _("完成数"), _("基数"), _("完成率"), _("目标"), _("情况")),
            rows=tuple(
                (
                    str(i.label),
                    str(i.numerator),
                    str(i.denominator),
                    _value(i.value),
                    _value(i.target),
                    _met(i),
                )
                for i in summary.indicators
            ),
            numeric=frozenset({1, 2, 3, 4}),
            widths=(3, 1, 1, 1, 1, 1),
        )
    )

    doc.add(Heading(_("%(n)s、主要做法") % {"n": numeral(3)}))
    doc.add(
        Paragraph(
            _(
                "本期%(scope)s共记录关爱工作%(total)d次；新建结对帮扶%(pairings)d对，"
                "制定学习帮扶计划%(study)d份，制定个别教育管理方案%(individual)d份。"
                "各类工作情况如下表。"
            )
            % {
                "scope": scope,
                "total": summary.records_total,
                "pairings": summary.pairings_started,
                "study": summary.study_plans,
                "individual": summary.individual_plans,
            }
        )
    )
    doc.add(
        Table(
            header=(_("工作"), _("次数"), _("涉及儿童（人）")),
            rows=tuple((w.label, str(w.records), str(w.children)) for w in summary.work),
            numeric=frozenset({1, 2}),
            widths=(3, 1, 1),
        )
    )
    if summary.month_kinds:
        doc.add(Paragraph(_("按月统计如下表。")))
        doc.add(
            Table(
                header=(
                    _("月份"),
                    *(label for _kind, label in summary.month_kinds),
                    _("合计"),
                ),
                rows=tuple(
                    (
                        _("%(y)d年%(m)d月") % {"y": m.month.year, "m": m.month.month},
                        *(str(n) for n in m.counts),
                        str(m.total),
                    )
                    for m in summary.months
                ),
                numeric=frozenset(range(1, len(summary.month_kinds) + 2)),
            )
        )
    if summary.activities_total:
        doc.add(
            Paragraph(
                _("本期%(scope)s共开展关爱活动%(n)d次，各类活动情况如下表。")
                % {"scope": scope, "n": summary.activities_total}
            )
        )
        doc.add(
            Table(
                header=(_("活动"), _("次数"), _("参加儿童（人）")),
                rows=(
                    *((a.label, str(a.activities), str(a.children)) for a in summary.activities),
                    (_("合计"), str(summary.activities_total), DASH),
                ),
                numeric=frozenset({1, 2}),
                widths=(3, 1, 1),
            )
        )
    else:
        doc.add(Paragraph(_("本期%(scope)s未登记关爱活动。") % {"scope": scope}))

    doc.add(Heading(_("%(n)s、典型案例") % {"n": numeral(4)}))
    if not summary.cases:
        doc.add(Paragraph(_("（本期未选择典型案例。）")))
    for n, case in enumerate(summary.cases, 1):
        doc.add(
            Heading(
                _("案例%(n)d：%(alias)s（%(profile)s）")
                % {"n": n, "alias": case.alias, "profile": case.profile},
                level=3,
            )
        )
        doc.add(
            Paragraph(
                _("%(date)s，%(kind)s：%(text)s")
                % {"date": chinese_date(case.date), "kind": case.kind_label, "text": case.text}
            )
        )
        for label, value in case.details:
            doc.add(Paragraph(f"{label}：{value}"))

    doc.add(Heading(_("%(n)s、存在问题") % {"n": numeral(5)}))
    for n, line in enumerate(summary.problems, 1):
        doc.add(Paragraph(f"{n}. {line}"))
    doc.add(Heading(_("%(n)s、下一步打算") % {"n": numeral(6)}))
    for n, line in enumerate(summary.next_steps, 1):
        doc.add(Paragraph(f"{n}. {line}"))
    doc.add(Paragraph(org.name, indent=False, align="right"))
    doc.add(Paragraph(chinese_date(summary.generated_on), indent=False, align="right"))
    return doc


def workplan_document(plan: WorkPlan) -> Document:
    """The year's work plan (工作计划) laid out like the seed plans."""
    doc = Document(
        title=plan.title,
        lines=[
            _("（%(start)s至%(end)s）")
            % {
                "start": chinese_date(plan.months[0].first_day),
                "end": chinese_date(plan.months[-1].last_day),
            }
        ],
    )
    if not plan.configured:
        doc.notes.append(
            _("本单位未保存本学年的工作计划，以下按县默认模板（%(name)s）生成，请修改后使用。")
            % {"name": plan.plan.name}
        )
    doc.add(Heading(_("%(n)s、指导思想") % {"n": numeral(1)}))
    for line in plan.guiding:
        doc.add(Paragraph(line))
    doc.add(Heading(_("%(n)s、工作目标") % {"n": numeral(2)}))
    for n, line in enumerate(plan.goals, 1):
        doc.add(Paragraph(f"{n}. {line}"))
    doc.add(Heading(_("%(n)s、主要措施") % {"n": numeral(3)}))
    for n, (title, text) in enumerate(plan.measures, 1):
        doc.add(Heading(_("（%(n)s）%(title)s") % {"n": numeral(n), "title": title}, level=2))
        for line in text.splitlines():
            if line.strip():
                doc.add(Paragraph(line.strip()))
    doc.add(Heading(_("%(n)s、工作安排") % {"n": numeral(4)}))
    doc.add(
        Table(
            header=(_("月份"), _("工作内容")),
            rows=tuple(
                (
                    _("%(y)d年%(m)d月") % {"y": m.year, "m": m.month},
                    "\n".join(f"{i}. {item}" for i, item in enumerate(m.items, 1))
                    or _("按计划开展日常关爱工作"),
                )
                for m in plan.months
            ),
            widths=(1, 5),
        )
    )
    doc.add(Paragraph(plan.org.name, indent=False, align="right"))
    doc.add(Paragraph(chinese_date(plan.generated_on), indent=False, align="right"))
    return doc
