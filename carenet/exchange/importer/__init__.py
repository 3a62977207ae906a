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
- 留守类型 is informational: left-behind status is derived from 外出时间. When it
  says a parent is away (双亲: both; 单亲: the one parent who has a work place) but gives
  no date, and that parent has no open away period yet, the period starts at the start
  of the school year (1 September), at the latest three months before the import day,
  so the child counts as left-behind from the day of the import, as the register says;
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
from carenet.exchange.importer.cells import NUMERALS, parse_date, placement, split_work_place
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
