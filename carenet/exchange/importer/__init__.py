"""The register importer: read any real register, validate every row, commit atomically.

One module per step, each with one reason to change: ``cells`` (reading a cell),
``header`` (finding the header, mapping columns), ``validate`` (one row → a plan),
``matching`` (plans against the children on file), ``preview``, ``commit`` with the
fast ``writer``, and ``workbook`` (the rejected rows for the user to fix).

Two steps, as rapidpro's ContactImport: ``import_preview`` reads the file, finds the
header, normalises and validates every row and works out what each good row would
change (it reads the database, it writes nothing); ``import_commit`` then writes all the
good rows in one transaction, in bulk, or nothing. ``error_workbook`` gives the user
the rejected rows back with a 错误原因 column to fix and re-upload.

Validation reuses ``carenet.lib`` (ID numbers, phones, names); rows are not put through
the Django forms one by one, which would take minutes for a county's 50,000 children.

Decisions (see docs/import.md in the README section on registers):
- a blank cell never erases a value already on file; a filled cell replaces it;
- rows whose values change nothing are counted as neither created nor updated
  (``unchanged``), so a file imported twice reports 0 created, 0 updated;
- left-behind status is not a column: it is the away periods (a parent away ≥ 3 months,
  ``children.selectors``). A row says where the parents are in four ways, read together
  (``leftbehind``):

  - a 外出时间: that parent is away from that date;
  - a work place (务工地点, 当前务工地点) that is not home: that parent is away now.
    Home is a short list of words (``leftbehind.HOME_WORDS``: 在家, 家中, 本地, 本村,
    本乡/本镇, 本县/县城 (a decision: a parent working within the county counts as at
    home), 务农, 无, 空 …, and what starts with 在家/本地/本村 …); such a cell is not
    stored as a work city (it clears one on file, as any filled cell replaces). 不详,
    去世 … count neither way. An employer (务工单位) that is not home counts as a work
    place for a parent with no work place cell, but it never outweighs a code or flag
    (the 学籍 table's 工作单位 is filled for parents at home too);
  - a 留守类型 / 是否留守儿童 code (双亲 2, 单亲 1, 非留守 0);
  - the 2016 form's flags 父母双方同时外出 (是: both away; 否: not both) and 父母一方外出、
    另一方无监护能力 (是: exactly one away). 无监护能力（父亲/母亲）marks that parent
    ``can_guard = False`` (无 or blank changes nothing); with 一方外出… 是 and no parent
    named, the parent not away is the one who cannot guard.
    父母外出有无委托其他监护人 is ``Child.guardian_entrusted``.

  Stated facts (a 外出时间, a work place away) make the away periods. A code or flag that
  says more parents are away than the facts show opens the missing period (which parent:
  the one not at home; for 单亲 with neither parent placed, the one whose employer — a
  学籍 member's 工作单位 — is away, or else the one whose employer is not home — else
  nobody, with a warning). A period without a date starts at the start of the
  school year (1 September), at the latest three months before the import day
  (``derived_away_start``), so the child counts as left-behind from the day of the
  import, as the register says; a parent with an open period on file keeps it. Where
  the cells disagree the row is imported with a warning naming both cells, and:
  a code or flag saying fewer parents are away than the facts show keeps the facts
  (留守类型为“非留守”，但父亲务工地点为“广东省东莞市”（按务工地点计为单亲留守）); a
  parent a code says is away but whose work place says home stays home; a 外出时间 wins
  over a work place saying home; of a code and a flag that disagree, the one saying
  more parents are away leads. Nothing here closes a period on file (a parent back
  home is recorded on the child's page). The preview counts the children created or
  updated as 双亲/单亲/非留守 by the rule that decided (``LeftBehindCounts``), from the
  away periods as they will be after the commit, as of the import day;
- a row may be imported with warnings (``RowResult.warnings``, each message naming its
  cells): the left-behind cells that disagree, and an ID number accepted but worth a
  second look (``children.idcheck``: a county code not in the division table, a birth
  before 2000). The preview lists them (``warned_rows``; ``as_json()["warnings"]``), the
  error workbook on a sheet 提示;
- a child already on file at another school is rejected (a transfer is done by the
  school the child leaves, not by listing the ID number in another school's register);
- the user may correct the mapping of the columns (``ColumnChoice``: this column is
  监护人·联系电话, that one is not used); a file with no header CareNet recognises is
  not refused on the web, its likeliest header row is shown to be mapped
  (``HeaderNotFound.header``);
- a register may be imported into a village instead of a school (children not at a
  school: aged 0–5, out of school, taught at home; the civil-affairs registers): new
  children are filed under the village with no school or class; a child on file is
  matched wherever filed, and one at a school keeps the school (only the residence is
  updated). A child filed under a village who turns up in a school's register joins it.
- the national layouts are read as they are sent (``carenet.exchange.columns``): the
  学籍 student table with its codes (性别 1/2, 民族 01…, 户口性质, 就读方式, 是否… 0/1),
  its family as 成员1… / 成员2… (placed by each row's 成员N关系 and 是否监护人) and its
  班号, whose grade follows from 入学年月 and the school year where there is no 年级; a
  身份证件类型 other than a resident ID's (居民身份证, 户口簿, 港澳台居民居住证) rejects
  the row. The 2016 survey form (flat or two-level, choices written out or ticked) and the
  困境儿童 register fill the grandparents, 家庭经济来源, 救助帮扶 and 困境类型 as fields;
- where several columns could be one field, the most specific is used (家长联系电话 over
  联系电话 over 手机号); a pupil's own phone (学生手机号, the 学籍 联系电话) is no one's.
"""

from carenet.exchange.errors import ImportConflict
from carenet.exchange.importer.cells import parse_date, split_work_place
from carenet.exchange.importer.commit import import_commit
from carenet.exchange.importer.header import ColumnChoice, HeaderNotFound, MappingError
from carenet.exchange.importer.preview import (
    NoDataRows,
    Recall,
    import_preview,
    import_preview_checked,
)
from carenet.exchange.importer.results import CellError, HeaderColumn, ImportPreview, RowResult
from carenet.exchange.importer.validate import derived_away_start
from carenet.exchange.importer.workbook import error_workbook
from carenet.exchange.reading import RegisterError
from carenet.orgs.placement import NUMERALS, placement

__all__ = [
    "NUMERALS",
    "CellError",
    "ColumnChoice",
    "HeaderColumn",
    "HeaderNotFound",
    "ImportConflict",
    "ImportPreview",
    "MappingError",
    "NoDataRows",
    "Recall",
    "RegisterError",
    "RowResult",
    "derived_away_start",
    "error_workbook",
    "import_commit",
    "import_preview",
    "import_preview_checked",
    "parse_date",
    "placement",
    "split_work_place",
]
