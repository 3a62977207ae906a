"""The English message catalogue: complete, covering the code, compiled, and served.

The msgids are the Chinese text of the code; carenet/locale/en/LC_MESSAGES/django.po holds
their English and django.mo its compiled form. Both are committed, so that installing CareNet
needs no gettext. After changing any user-facing text, run from the carenet/ package dir
(PYTHONPATH=.. unless CareNet is installed):

    python -m django makemessages -l en -e html,txt,py --no-obsolete --settings=carenet.settings
    (translate the new entries, remove any "fuzzy" flags)
    python -m django compilemessages --settings=carenet.settings
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

import carenet

PACKAGE_DIR = Path(carenet.__file__).resolve().parent
LC_MESSAGES = PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A msgid of Chinese punctuation around placeholders (（%(n)s）, %(a)s：%(b)s) is Chinese
# typography, translated like any other: CJK punctuation and full-width forms count.
CHINESE_MSGID = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%%")


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)  # one form, or every plural form
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid

    def __str__(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt else self.msgid


def parse_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (obsolete "#~" entries and the header left out)."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    key = ""

    def flush() -> None:
        nonlocal fields, flags
        if fields.get("msgid"):
            forms = sorted(k for k in fields if k.startswith("msgstr"))
            entries.append(
                Entry(
                    msgid=fields["msgid"],
                    msgctxt=fields.get("msgctxt"),
                    msgid_plural=fields.get("msgid_plural"),
                    msgstr=[fields[k] for k in forms],
                    flags=flags,
                )
            )
        fields, flags = {}, set()

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith('"'):
            fields[key] += ast.literal_eval(line)
            continue
        if any(k.startswith("msgstr") for k in fields) and not line.startswith("msgstr"):
            flush()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags.update(flag.strip() for flag in line[2:].split(","))
        elif not line.startswith("#"):
            key, _, value = line.partition(" ")
            fields[key] = ast.literal_eval(value)
    flush()
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO_PATH)


def test_po_header_is_for_english_and_not_fuzzy():
    text = PO_PATH.read_text(encoding="utf-8")
    header = text[: text.index('msgid ""\nmsgstr ""') + 20]
    assert "fuzzy" not in header
    assert '"Language: en\\n"' in text
    assert '"Content-Type: text/plain; charset=UTF-8\\n"' in text
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in text


def test_every_entry_is_translated_and_none_is_fuzzy(entries):
    assert len(entries) > 200
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    untranslated = [str(e) for e in entries if not e.msgstr or not all(e.msgstr)]
    wrong_plurals = [str(e) for e in entries if e.msgid_plural and len(e.msgstr) != 2]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not untranslated, f"untranslated entries: {untranslated}"
    assert not wrong_plurals, f"plural entries without exactly 2 English forms: {wrong_plurals}"


def test_msgids_are_chinese_and_msgstrs_english(entries):
    """The source language is Chinese; an English msgid is text someone forgot to write in
    Chinese, and Chinese in a msgstr is a translation left undone."""
    not_chinese = [str(e) for e in entries if not CHINESE_MSGID.search(e.msgid)]
    still_chinese = [str(e) for e in entries if any(CJK.search(s) for s in e.msgstr)]
    assert not not_chinese, f"msgids that are not Chinese: {not_chinese}"
    assert not still_chinese, f"msgstrs with Chinese in them: {still_chinese}"


def test_placeholders_are_kept(entries):
    """Every %(name)s of a msgid is in its translation, with the same conversion."""
    wrong = []
    for e in entries:
        wanted = sorted(PLACEHOLDER.findall(e.msgid_plural or e.msgid))
        wrong += [(str(e), s) for s in e.msgstr if sorted(PLACEHOLDER.findall(s)) != wanted]
        if "python-format" not in e.flags and PLACEHOLDER.search(e.msgid):
            wrong.append((str(e), "no python-format flag"))
    assert not wrong, f"placeholders differ: {wrong}"


def test_mo_is_compiled_from_the_po(entries):
    """The committed django.mo holds exactly the committed django.po (run compilemessages)."""
    with MO_PATH.open("rb") as mo:
        catalog = dict(gettext.GNUTranslations(mo)._catalog)
    catalog.pop("", None)  # the header
    expected: dict[object, str] = {}
    for e in entries:
        msgid = str(e)
        if e.msgid_plural:
            expected.update({(msgid, i): s for i, s in enumerate(e.msgstr)})
        else:
            expected[msgid] = e.msgstr[0]
    stale = sorted(str(k) for k in expected.keys() - catalog.keys())
    extra = sorted(str(k) for k in catalog.keys() - expected.keys())
    differing = sorted(
        str(k) for k in expected.keys() & catalog.keys() if expected[k] != catalog[k]
    )
    assert not stale, f"in the .po, not in the .mo (run compilemessages): {stale}"
    assert not extra, f"in the .mo, not in the .po (run compilemessages): {extra}"
    assert not differing, f"translated differently in the .mo (run compilemessages): {differing}"


@pytest.fixture(scope="module")
def code_entries(tmp_path_factory) -> list[Entry]:
    """The messages of the code now, as makemessages finds them in a copy of the package."""
    missing_tools = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing_tools:
        if os.environ.get("CI"):
            pytest.fail(f"gettext tools missing under CI: {missing_tools}")
        pytest.skip(f"gettext tools not installed: {missing_tools}")
    copy = tmp_path_factory.mktemp("makemessages") / "carenet"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc")
    )
    (copy / "locale").mkdir()
    # makemessages writes into LOCALE_PATHS[0] for files outside any locale dir's parent:
    # point it at the copy so the committed catalogue is never touched.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "LOCALE_PATHS", [copy / "locale"])
        patch.chdir(copy)
        call_command(
            "makemessages",
            locale=["en"],
            extensions=["html", "txt", "py"],
            no_obsolete=True,
            verbosity=0,
        )
    return parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")


def test_catalogue_covers_every_message_of_the_code(entries, code_entries):
    committed = {e.key: e for e in entries}
    missing = [str(e) for e in code_entries if e.key not in committed]
    plural_changed = [
        str(e)
        for e in code_entries
        if e.key in committed and committed[e.key].msgid_plural != e.msgid_plural
    ]
    assert not missing, f"messages of the code missing from django.po (run makemessages): {missing}"
    assert not plural_changed, f"plural forms changed in the code: {plural_changed}"


def test_catalogue_has_no_stale_messages(entries, code_entries):
    in_code = {e.key for e in code_entries}
    stale = [str(e) for e in entries if e.key not in in_code]
    assert not stale, f"no longer in the code (run makemessages --no-obsolete): {stale}"


def test_python_messages_are_translated():
    from carenet.children.models import LeftBehindType, RiskLevel
    from carenet.orgs.models import Role

    with translation.override("en"):
        assert translation.gettext("身份证号校验位错误") == "The ID number's check digit is wrong"
        assert str(RiskLevel.HIGH.label) == "High"
        assert str(LeftBehindType.ONE_PARENT.label) == "One parent away"
        assert str(Role.TOWNSHIP_SUPERVISOR.label) == "Township supervisor"
        count = '共 <span data-figure="list-count">%(n)s</span> 名儿童'
        one = translation.ngettext(count, count, 1) % {"n": 1}
        many = translation.ngettext(count, count, 7) % {"n": 7}
        span = '<span data-figure="list-count">%s</span>'
        assert (one, many) == (span % 1 + " child", span % 7 + " children")
    with translation.override("zh-hans"):
        assert str(RiskLevel.HIGH.label) == "高"


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["en", "en-US,en;q=0.9"])
def test_login_page_in_english(client, accept):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert ">Log in</button>" in html
    assert "Username" in html and "Password" in html
    assert "登录" not in html


@pytest.mark.django_db
def test_login_page_in_chinese(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert ">登录</button>" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_language_switch_is_remembered(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">Log in</button>" in html
