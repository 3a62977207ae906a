"""The year's work plan (工作计划) of an org, written from the care plan in force.

Structured like the seed plans (``shared/seeds/000_*``, ``001_*``, ``003_*``, ``004_*``):
指导思想, 工作目标 (the plan's targets in words and numbers), 主要措施 (the leading group,
the files, the pairings and the scheduled care work at the plan's frequencies), 工作安排
by month from September to July (the terms' first and last days, the festivals of the
school calendar with their lunar dates, the home-visit months, the plan's own schedule
and the term summaries).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from lunardate import LunarDate

from carenet.care import calendar
from carenet.care.models import CareKind, CarePlan, Frequency
from carenet.care.selectors import plan_in_force
from carenet.children.models import Child
from carenet.indicators.selectors import LABELS, children_in_care
from carenet.orgs.models import Org, OrgKind

# Months of a school year in the plan: September to July (August is the summer break).
PLAN_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7)
_LUNAR_MONTHS = "正二三四五六七八九十冬腊"
_DIGITS = "一二三四五六七八九十"

# How often, as words that read before the measure ("每周…一次").
_FREQUENCY_WORDS: dict[str, str] = {
    Frequency.WEEKLY: N_("每周"),
    Frequency.BIWEEKLY: N_("每两周"),
    Frequency.MONTHLY: N_("每月"),
    Frequency.QUARTERLY: N_("每季度"),
    Frequency.TERMLY: N_("每学期"),
    Frequency.TERM_START_MIDDLE_END: N_("在期初、期中、期末各"),
}
# The measure of each scheduled kind; %(freq)s is one of the words above.
_MEASURES = {
    CareKind.TALK: N_(
        "谈心制度。代理家长%(freq)s与结对的留守儿童谈心一次，填写谈心记录卡，"
        "及时掌握孩子的思想动态，帮助他们解决学习、生活和心理上的困难。"
    ),
    CareKind.PARENT_CALL: N_(
        "联系家长。班主任%(freq)s与留守儿童外出务工的父母联系一次，通报孩子在校的"
        "学习和生活情况，提醒家长常与孩子通话。"
    ),
    CareKind.GUARDIAN_CONTACT: N_(
        "联系监护人。%(freq)s与留守儿童的委托监护人沟通一次，了解孩子在家的生活和"
        "身心健康状况，指导科学监护。"
    ),
    CareKind.HOME_VISIT: N_(
        "家访制度。班主任和代理家长%(freq)s对留守儿童进行家访一次，了解孩子的家庭"
        "和监护情况，做好家访记录。"
    ),
    CareKind.LETTER: N_("亲情书信。%(freq)s指导留守儿童给外出务工的父母写一封信，增进亲子沟通。"),
}
# Suggested work around each festival of the school calendar.
_FESTIVAL_WORK = {
    "中秋节": N_("开展“中秋话亲情”活动，组织留守儿童与父母通亲情电话"),
    "国庆节": N_("国庆假期安全教育"),
    "教师节": N_("代理家长与结对留守儿童见面，明确本学年帮扶任务"),
    "重阳节": N_("开展敬老孝亲教育，关心与留守儿童同住的祖辈"),
    "元旦": N_("开展迎新年联欢活动，优先安排留守儿童参加"),
    "春节": N_("寒假期间走访慰问留守儿童家庭，了解父母返乡情况"),
    "元宵节": N_("开展元宵节传统文化活动"),
    "妇女节": N_("开展“给妈妈的一封信”感恩活动"),
    "劳动节": N_("开展劳动教育和假期安全教育"),
    "端午节": N_("开展端午节传统文化活动和防溺水安全教育"),
    "儿童节": N_("开展庆“六一”活动，为留守儿童送上节日礼物"),
}


@dataclass(frozen=True)
class MonthPlan:
    year: int
    month: int
    items: tuple[str, ...]

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.first_day + relativedelta(months=1, days=-1)


@dataclass
class WorkPlan:
    org: Org
    school_year: int
    plan: CarePlan
    configured: bool  # False: no plan saved, the county default preset was used
    in_care: int  # children in care under the org on the plan's first day (in scope)
    guiding: list[str]
    goals: list[str]
    leading_group: str
    measures: list[tuple[str, str]]  # (heading, text)
    months: list[MonthPlan]
    generated_on: dt.date = field(default_factory=timezone.localdate)

    @property
    def title(self) -> str:
        return _("%(org)s%(year)d—%(next)d学年关爱留守儿童工作计划") % {
            "org": self.org.name,
            "year": self.school_year,
            "next": self.school_year + 1,
        }


def lunar_label(day: dt.date) -> str:
    """农历八月十五 for 2026-09-25."""
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    month = ("闰" if lunar.is_leap_month else "") + _LUNAR_MONTHS[lunar.month - 1] + "月"
    if lunar.day <= 10:
        day_words = "初" + _DIGITS[lunar.day - 1]
    elif lunar.day < 20:
        day_words = "十" + _DIGITS[lunar.day - 11]
    elif lunar.day == 20:
        day_words = "二十"
    elif lunar.day < 30:
        day_words = "廿" + _DIGITS[lunar.day - 21]
    else:
        day_words = "三十"
    return _("农历%(date)s") % {"date": month + day_words}


def _is_lunar(name: str) -> bool:
    return name in {"春节", "元宵节", "端午节", "中秋节", "重阳节"}


def home_visit_days(frequency: str, school_year: int) -> list[dt.date]:
    """The days around which the plan's home visits fall (one per visit due)."""
    days: list[dt.date] = []
    for start, end in calendar.terms(school_year):
        if frequency == Frequency.TERM_START_MIDDLE_END:
            days += [start + dt.timedelta(days=14), start + (end - start) // 2, end]
        elif frequency == Frequency.TERMLY:
            days.append(start + (end - start) // 2)
        elif frequency == Frequency.QUARTERLY:
            day = start + relativedelta(months=1)
            while day <= end:
                days.append(day)
                day += relativedelta(months=3)
        elif frequency in (Frequency.MONTHLY, Frequency.BIWEEKLY, Frequency.WEEKLY):
            day = start
            while day <= end:
                days.append(day)
                day += relativedelta(months=1)
    return days


def _goals(plan: CarePlan) -> list[str]:
    goals = []
    for key, label in LABELS.items():
        target = plan.targets.get(key)
        if target is None:
            continue
        goals.append(
            _("%(label)s达到%(target)s%%。") % {"label": label, "target": f"{float(target):g}"}
        )
    goals.append(
        _(
            "每名留守儿童都有一名代理家长和一名学习帮手，每位代理家长结对%(min)d至%(max)d名留守儿童。"
        )
        % {"min": plan.mentor_min, "max": plan.mentor_max}
    )
    goals.append(_("使留守儿童进得来、留得住、学得好，安全、健康、快乐成长。"))
    return goals


def _measures(plan: CarePlan, leading_group: str) -> list[tuple[str, str]]:
    measures = [
        (_("成立组织，加强领导"), leading_group),
        (
            _("建立档案和联系卡"),
            _(
                "摸清留守儿童底数，做到一人一档，登记父母务工地点和联系电话、委托监护人情况，"
                "建立联系卡，每学期开学初更新。"
            ),
        ),
        (
            _("结对帮扶"),
            _(
                "实行教师结对帮扶，每位代理家长结对%(min)d至%(max)d名留守儿童；每名留守儿童"
                "配一名学习帮手，开展“手拉手”互帮互助。"
            )
            % {"min": plan.mentor_min, "max": plan.mentor_max},
        ),
    ]
    care_work = []
    for kind, text in _MEASURES.items():
        frequency = plan.frequency(kind)
        if frequency in _FREQUENCY_WORDS:
            care_work.append(_(text) % {"freq": _(_FREQUENCY_WORDS[frequency])})
    if care_work:
        measures.append((_("家校联系和谈心"), "\n".join(care_work)))
    measures.append(
        (
            _("落实“三个优先”"),
            _(
                "学习上优先辅导，制定学习帮扶计划；生活上优先照顾，关心留守儿童的饮食、"
                "住宿和疾病；活动上优先安排，组织留守儿童参加集体活动。"
            ),
        )
    )
    measures.append(
        (
            _("心理健康和安全教育"),
            _(
                "开展心理健康教育和个别辅导，对有特殊困难的儿童制定个别教育管理方案；"
                "每学期开展安全和法制教育讲座，办好家长学校。"
            ),
        )
    )
    return measures


def _months(plan: CarePlan, school_year: int) -> list[MonthPlan]:
    # (year, month) → [(sort key, text)]: dated items in date order, then the others.
    items: dict[tuple[int, int], list[tuple[int, str]]] = {}

    def add(day: dt.date, text: str, *, dated: bool = True) -> None:
        key = day.day if dated else 99
        items.setdefault((day.year, day.month), []).append((key, text))

    for start, end in calendar.terms(school_year):
        add(
            start,
            _("%(day)s开学：更新留守儿童档案和联系卡，调整结对帮扶")
            % {"day": _("%(m)d月%(d)d日") % {"m": start.month, "d": start.day}},
        )
        add(
            end,
            _("%(day)s学期结束：撰写学期工作总结，开展假期安全教育")
            % {"day": _("%(m)d月%(d)d日") % {"m": end.month, "d": end.day}},
        )
    for day, name in calendar.festivals(school_year):
        when = _("%(m)d月%(d)d日") % {"m": day.month, "d": day.day}
        if _is_lunar(name):
            when = f"{lunar_label(day)}，{when}"
        work = _FESTIVAL_WORK.get(name)
        text = f"{_(name)}（{when}）"
        add(day, f"{text}：{_(work)}" if work else text)
    visits = sorted(
        {
            (d.year, d.month)
            for d in home_visit_days(plan.frequency(CareKind.HOME_VISIT), school_year)
        }
    )
    for year, month in visits:
        add(dt.date(year, month, 1), _("家访：班主任和代理家长走访留守儿童家庭"), dated=False)
    for entry in plan.schedule or []:
        month = int(entry.get("month", 0))
        if month not in PLAN_MONTHS:
            continue
        year = school_year if month >= 9 else school_year + 1
        for text in entry.get("items", []):
            add(dt.date(year, month, 1), str(text), dated=False)
    months = []
    for month in PLAN_MONTHS:
        year = school_year if month >= 9 else school_year + 1
        found = [text for _key, text in sorted(items.get((year, month), []), key=lambda i: i[0])]
        months.append(MonthPlan(year=year, month=month, items=tuple(dict.fromkeys(found))))
    return months


def _leading_group(plan: CarePlan, org: Org) -> str:
    group = plan.leading_group or {}
    leader = str(group.get("leader") or "").strip()
    members = [str(m).strip() for m in group.get("members", []) if str(m).strip()]
    if not leader and not members:
        return _("成立关爱留守儿童工作领导小组，明确分工，责任到人。")
    parts = [_("成立%(org)s关爱留守儿童工作领导小组") % {"org": org.name}]
    if leader:
        parts.append(_("组长：%(leader)s") % {"leader": leader})
    if members:
        parts.append(_("成员：%(members)s") % {"members": "、".join(members)})
    return "；".join(parts) + _("。领导小组统筹本学年工作，定期检查，责任到人。")


def work_plan_build(
    *, org: Org, school_year: int, children: QuerySet[Child] | None = None
) -> WorkPlan:
    """The work plan of ``org`` for ``school_year`` from the care plan in force on its
    first day. ``children`` is the scope of the one figure it quotes (children in care)."""
    first_day = dt.date(school_year, 9, 1)
    plan = plan_in_force(org, first_day)
    in_care = children_in_care(org, as_of=first_day, children=children).count()
    kind_word = {
        OrgKind.COUNTY: _("全县"),
        OrgKind.TOWNSHIP: _("全镇"),
        OrgKind.VILLAGE: _("全村"),
        OrgKind.SCHOOL: _("我校"),
        OrgKind.GRADE: _("本年级"),
        OrgKind.CLASS: _("本班"),
    }.get(org.kind, _("本单位"))  # type: ignore[call-overload]  # str values of the choices
    guiding = [
        _(
            "认真贯彻《中华人民共和国未成年人保护法》和国务院《关于加强农村留守儿童关爱"
            "保护工作的意见》，坚持家庭尽责、政府主导、全民关爱、标本兼治，充分发挥学校"
            "育人功能，为留守儿童营造安全、健康、快乐、平等的成长环境。"
        ),
        _(
            "%(scope)s现有留守儿童%(n)d名。本计划依据“%(plan)s”制定，"
            "把关爱工作落实到每一名留守儿童。"
        )
        % {"scope": kind_word, "n": in_care, "plan": plan.name},
    ]
    leading_group = _leading_group(plan, org)
    return WorkPlan(
        org=org,
        school_year=school_year,
        plan=plan,
        configured=plan.pk is not None,
        in_care=in_care,
        guiding=guiding,
        goals=_goals(plan),
        leading_group=leading_group,
        measures=_measures(plan, leading_group),
        months=_months(plan, school_year),
    )
