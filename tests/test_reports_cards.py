"""A class's contact cards (联系卡) and talk record cards (谈心记录卡) as PDF."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
import time_machine

from carenet.audit.models import AccessAction, AccessLog
from carenet.care.services import record_create
from carenet.children.access import Permission, visible_children
from carenet.children.models import Child, ChildStatus, Pairing
from carenet.children.services import pairing_start
from carenet.reports.cards import card_class, contact_cards
from tests.factories import child_add, user_add

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ROLES = [
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "teacher",
    "stranger_teacher",
    "nobody",
]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def pdf_text(content: bytes) -> str:
    """The text of a PDF as ``pdftotext`` extracts it (pages separated by form feeds)."""
    assert content.startswith(b"%PDF")
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return out.stdout.decode()


def pdf_pages(content: bytes) -> int:
    out = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True)
    line = next(x for x in out.stdout.decode().splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def contact_url(school_class, **query) -> str:
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/reports/classes/{school_class.pk}/contact-cards.pdf" + (f"?{tail}" if tail else "")


def talk_url(school_class, **query) -> str:
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/reports/classes/{school_class.pk}/talk-cards.pdf" + (f"?{tail}" if tail else "")


@pytest.fixture
def full_family(world) -> Child:
    """A child of 一(1)班 with both parents working away, a guardian and a mentor."""
    child = child_add(
        world.class_1,
        name="陈思远",
        gender="F",
        birth=dt.date(2016, 5, 6),
        village=world.village,
        residence_group="三组",
    )
    from carenet.children.services import family_member_save

    away = dt.date(2024, 2, 18)
    family_member_save(
        actor=None,
        child=child,
        relation="father",
        data={
            "name": "陈建国",
            "phone": "13700001111",
            "work_province": "浙江省",
            "work_city": "杭州市",
            "employer": "杭州建工集团",
            "employer_phone": "0571-88886666",
            "away_since": away,
        },
    )
    family_member_save(
        actor=None,
        child=child,
        relation="mother",
        data={"name": "刘芳", "phone": "13600002222", "work_city": "苏州市", "away_since": away},
    )
    family_member_save(
        actor=None,
        child=child,
        relation="guardian",
        data={"name": "陈桂兰", "kinship": "祖母", "phone": "13500003333", "age": 66},
    )
    mentor = user_add("mentor_li")
    mentor.last_name, mentor.first_name = "李", "老师"
    mentor.save()
    pairing_start(child=child, mentor=mentor, on=dt.date(2025, 9, 1))
    return child


# --------------------------------------------------------------------------- contact cards


def test_contact_cards_show_the_file_fields_with_phones_masked(world, client, full_family):
    client.force_login(world.user("teacher"))
    response = client.get(contact_url(world.class_1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    text = pdf_text(response.content)
    for expected in (
        "留守儿童联系卡",
        "陈思远",
        "2016-05-06",
        "华阳小学",
        "一(1)班",
        "华阳镇红星村三组",
        "陈建国",
        "浙江省杭州市",
        "杭州建工集团",
        "刘芳",
        "苏州市",
        "陈桂兰",
        "祖母",
        "李老师",
        "双亲留守",
        "137****1111",
        "136****2222",
        "135****3333",
        "0571-8888****",
        "王子涵",
    ):
        assert expected in text, expected
    for phone in ("13700001111", "13600002222", "13500003333", "0571-88886666"):
        assert phone not in text
    assert "电话已打码" in text


def test_contact_cards_are_four_to_a_page(world, client):
    for index in range(6):  # 7 children in 一(1)班 with 王子涵: 2 pages
        child_add(world.class_1, name=f"学生{index}", father_away=dt.date(2025, 1, 1))
    client.force_login(world.user("principal"))
    response = client.get(contact_url(world.class_1))
    text = pdf_text(response.content)
    assert pdf_pages(response.content) == 2
    assert text.count("留守儿童联系卡") == 7
    # Four cards on the first page, three on the second.
    first, second = text.split("\f")[:2]
    assert first.count("留守儿童联系卡") == 4 and second.count("留守儿童联系卡") == 3


def test_every_printed_card_is_logged_without_revealing(world, client, full_family):
    client.force_login(world.user("teacher"))
    client.get(contact_url(world.class_1))
    entries = AccessLog.objects.filter(user=world.user("teacher"))
    cards = entries.filter(action=AccessAction.VIEW_CARD)
    assert set(cards.values_list("child_id", flat=True)) == {world.own_child.pk, full_family.pk}
    assert not entries.filter(action=AccessAction.REVEAL_CONTACTS).exists()
    assert all("1370000" not in e.detail for e in entries)


def test_full_phones_for_a_user_with_contacts_are_logged_as_reveals(world, client, full_family):
    client.force_login(world.user("teacher"))
    response = client.get(contact_url(world.class_1, full=1))
    assert response.status_code == 200
    text = pdf_text(response.content)
    for phone in ("13700001111", "13600002222", "13500003333", "0571-88886666"):
        assert phone in text
    assert "电话已打码" not in text
    reveals = AccessLog.objects.filter(
        user=world.user("teacher"), action=AccessAction.REVEAL_CONTACTS
    )
    assert set(reveals.values_list("child_id", flat=True)) == {world.own_child.pk, full_family.pk}
    assert all("1370000" not in e.detail and "1350000" not in e.detail for e in reveals)


@pytest.mark.parametrize("role", ["county_admin", "township_supervisor"])
def test_full_phones_are_refused_to_roles_without_contacts(world, client, full_family, role):
    client.force_login(world.user(role))
    assert client.get(contact_url(world.class_1, full=1)).status_code == 403
    assert not AccessLog.objects.filter(action=AccessAction.REVEAL_CONTACTS).exists()
    masked = client.get(contact_url(world.class_1))
    assert masked.status_code == 200
    text = pdf_text(masked.content)
    assert "陈思远" in text and "137****1111" in text and "13700001111" not in text


def test_full_cards_unmask_only_the_children_whose_contacts_the_user_may_see(world, client):
    """A mentor sees the mentee's contacts, not the other children of the class."""
    teacher = world.user("teacher")
    client.force_login(teacher)
    response = client.get(contact_url(world.class_2, full=1))
    text = pdf_text(response.content)
    # The teacher sees only the mentee in 二(1)班 (and may see the mentee's phones).
    assert "曾小雨" in text and "李明" not in text
    assert "13912345678" in text
    assert set(
        AccessLog.objects.filter(user=teacher, action=AccessAction.REVEAL_CONTACTS).values_list(
            "child_id", flat=True
        )
    ) == {world.mentee.pk}


def test_left_behind_contact_cards_print_only_left_behind_children_by_default(world, client):
    """Issue 17: cards titled 留守儿童联系卡 printed the other children too."""
    client.force_login(world.user("principal"))
    text = pdf_text(client.get(contact_url(world.class_2)).content)
    assert "曾小雨" in text and "李明" not in text
    assert text.count("留守儿童联系卡") == 1 and "学生联系卡" not in text


def test_contact_cards_with_the_others_are_titled_student_contact_cards(world, client):
    client.force_login(world.user("principal"))
    response = client.get(contact_url(world.class_2, others=1))
    text = pdf_text(response.content)
    assert "曾小雨" in text and "李明" in text
    assert "留守儿童联系卡" not in text and text.count("学生联系卡") == 2
    assert (
        "学生联系卡" in response["Content-Disposition"]
        or "filename*" in response["Content-Disposition"]
    )


@pytest.mark.parametrize(
    ("stored", "printed"),
    [
        ("", "华阳镇红星村三组"),
        ("张家湾12号", "华阳镇红星村三组张家湾12号"),
        ("红星村三组张家湾12号", "华阳镇红星村三组张家湾12号"),  # the register's own address
        ("华阳镇红星村三组张家湾12号", "华阳镇红星村三组张家湾12号"),
    ],
)
def test_the_address_names_the_village_and_group_once(world, client, stored, printed):
    """Issue 17: 现住址 printed the village and group twice when the stored address named
    them already."""
    child = child_add(
        world.class_1,
        name="陈思远",
        village=world.village,
        residence_group="三组",
        residence_address=stored,
        father_away=dt.date(2025, 1, 1),
    )
    cards = contact_cards(world.user("principal"), world.class_1, full=False, on=TODAY.date())
    [card] = [card for card in cards if card.child_id == child.pk]
    assert card.address == printed
    client.force_login(world.user("principal"))
    text = pdf_text(client.get(contact_url(world.class_1)).content).replace(" ", "")
    assert printed in text
    page = client.get(f"/children/{child.pk}/").content.decode()
    assert printed.removeprefix("华阳镇") in page and page.count("红星村三组") == 1


def test_children_who_left_are_not_printed(world, client):
    gone = child_add(world.class_1, name="周离校", father_away=dt.date(2025, 1, 1))
    Child.objects.filter(pk=gone.pk).update(status=ChildStatus.LEFT)
    client.force_login(world.user("principal"))
    assert "周离校" not in pdf_text(client.get(contact_url(world.class_1)).content)


@pytest.mark.parametrize("role", ROLES)
def test_cards_answer_only_for_classes_in_sight(world, client, role):
    """200 for a class the user may see, with only the children they may see; 404 else."""
    user = world.user(role)
    client.force_login(user)
    visible = set(visible_children(user).values_list("name", flat=True))
    everyone = set(Child.objects.values_list("name", flat=True))
    for school_class in (world.class_1, world.class_2, world.other_class):
        response = client.get(contact_url(school_class))
        expected = 200 if card_class(user, school_class.pk) else 404
        assert response.status_code == expected, f"{role} {school_class}"
        assert client.get(talk_url(school_class)).status_code == expected
        if expected == 200:
            text = pdf_text(response.content)
            printed = {name for name in everyone if name in text}
            assert printed <= visible, f"{role} prints {printed - visible}"
    assert not AccessLog.objects.filter(
        child__in=Child.objects.exclude(pk__in=visible_children(user).values("pk"))
    ).exists()


def test_a_class_out_of_sight_does_not_exist(world, client):
    client.force_login(world.user("stranger_teacher"))
    assert client.get(contact_url(world.class_1)).status_code == 404
    assert client.get(talk_url(world.class_1, month="2026-01")).status_code == 404
    client.force_login(world.user("principal"))
    assert client.get(contact_url(world.other_class)).status_code == 404
    # Not a class at all, or no such org.
    assert client.get(contact_url(world.school)).status_code == 404
    assert client.get("/reports/classes/999999/contact-cards.pdf").status_code == 404
    assert not AccessLog.objects.exists()


def test_anonymous_users_are_sent_to_log_in(world, client):
    for url in (contact_url(world.class_1), talk_url(world.class_1), "/reports/cards/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


# --------------------------------------------------------------------------- talk cards


@pytest.fixture
def talks(world, full_family):
    teacher = world.user("teacher")
    kept = record_create(
        actor=teacher,
        child=full_family,
        kind="talk",
        date=dt.date(2026, 1, 8),
        summary="聊寒假安排和想念妈妈",
        details={
            "place": "办公室",
            "topics": "寒假",
            "problems": "作业拖拉",
            "measures": "安排学习帮手",
            "follow_up": "两周后复谈",
        },
    )
    record_create(
        actor=teacher,
        child=full_family,
        kind="talk",
        date=dt.date(2026, 1, 12),
        summary="保密谈话内容",
        confidential=True,
    )
    record_create(
        actor=teacher,
        child=full_family,
        kind="counseling",
        date=dt.date(2026, 1, 14),
        summary="心理辅导内容",
    )
    record_create(
        actor=teacher,
        child=full_family,
        kind="talk",
        date=dt.date(2025, 12, 30),
        summary="上月谈心",
    )
    record_create(
        actor=teacher,
        child=full_family,
        kind="home_visit",
        date=dt.date(2026, 1, 9),
        summary="家访内容",
    )
    return kept


def test_talk_cards_have_the_header_filled_and_two_to_a_page(world, client, full_family):
    for index in range(3):  # 5 children in 一(1)班: 3 pages
        child_add(world.class_1, name=f"学生{index}", father_away=dt.date(2025, 1, 1))
    client.force_login(world.user("teacher"))
    response = client.get(talk_url(world.class_1))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert pdf_pages(response.content) == 3
    assert text.count("留守儿童谈心记录卡") == 5
    assert text.split("\f")[0].count("留守儿童谈心记录卡") == 2
    for expected in (
        "陈思远",
        "一(1)班",
        "华阳小学",
        "李老师",
        "谈心内容",
        "跟进情况",
        "____年____月",
    ):
        assert expected in text, expected


def test_talk_cards_of_a_month_carry_its_talks_but_no_confidential_record(
    world, client, full_family, talks
):
    client.force_login(world.user("principal"))
    response = client.get(talk_url(world.class_1, month="2026-01"))
    text = pdf_text(response.content)
    assert "2026年1月" in text
    for expected in (
        "聊寒假安排和想念妈妈（寒假）",
        "办公室",
        "作业拖拉；安排学习帮手",
        "两周后复谈",
    ):
        assert expected in text, expected
    # The principal may read confidential records on screen; paper never carries them.
    for absent in ("保密谈话内容", "心理辅导内容", "上月谈心", "家访内容"):
        assert absent not in text, absent


def test_blank_talk_cards_carry_no_records(world, client, talks):
    client.force_login(world.user("teacher"))
    text = pdf_text(client.get(talk_url(world.class_1)).content)
    assert "陈思远" in text and "聊寒假安排" not in text


def test_talk_cards_are_logged_per_child(world, client, full_family):
    client.force_login(world.user("teacher"))
    client.get(talk_url(world.class_1, month="2026-01"))
    entries = AccessLog.objects.filter(action=AccessAction.DOCUMENT)
    assert set(entries.values_list("child_id", flat=True)) == {world.own_child.pk, full_family.pk}
    assert {e.detail for e in entries} == {"谈心记录卡 2026-01"}


@pytest.mark.parametrize("month", ["2026-13", "januar", "2026-02"])
def test_a_bad_or_future_month_is_refused(world, client, month):
    client.force_login(world.user("teacher"))
    response = client.get(talk_url(world.class_1, month=month))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not AccessLog.objects.exists()


# --------------------------------------------------------------------------- the pages


def test_the_cards_page_sends_the_choice_to_the_pdf(world, client):
    client.force_login(world.user("teacher"))
    page = client.get("/reports/cards/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "一(1)班" in body and "七(1)班" not in body
    response = client.get(
        "/reports/cards/",
        {"school_class": world.class_1.pk, "kind": "talk", "month": "2026-01", "full": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == talk_url(world.class_1, month="2026-01")
    response = client.get(
        "/reports/cards/", {"school_class": world.class_1.pk, "kind": "contact", "full": "on"}
    )
    assert response["Location"] == contact_url(world.class_1, full=1)
    response = client.get(
        "/reports/cards/",
        {"school_class": world.class_1.pk, "kind": "contact", "others": "on", "left_behind": "on"},
    )
    assert response["Location"] == contact_url(world.class_1, others=1)


def test_the_cards_page_refuses_a_class_out_of_sight(world, client):
    client.force_login(world.user("teacher"))
    response = client.get("/reports/cards/", {"school_class": world.other_class.pk})
    assert response.status_code == 400


def test_the_child_list_of_a_class_links_its_cards(world, client):
    client.force_login(world.user("teacher"))
    body = client.get("/children/", {"school_class": world.class_1.pk}).content.decode()
    assert contact_url(world.class_1) in body and talk_url(world.class_1) in body
    body = client.get("/children/").content.decode()
    assert "contact-cards.pdf" not in body


def test_the_pairing_of_a_mentor_in_another_school_opens_the_class(world, client):
    """A mentor outside the school sees the mentee's class, with the mentee only."""
    outsider = world.user("stranger_teacher")
    Pairing.objects.filter(child=world.mentee).update(ended_on=dt.date(2026, 1, 1))
    pairing_start(child=world.mentee, mentor=outsider, on=dt.date(2026, 1, 2))
    outsider = type(outsider).objects.get(pk=outsider.pk)  # drop the cached mentee ids
    assert card_class(outsider, world.class_2.pk) == world.class_2
    client.force_login(outsider)
    text = pdf_text(client.get(contact_url(world.class_2)).content)
    assert "曾小雨" in text and "李明" not in text
    assert visible_children(outsider, Permission.SEE_CONTACTS).filter(pk=world.mentee.pk).exists()


def test_the_printables_answer_only_get(world, client):
    client.force_login(world.user("teacher"))
    assert client.post(contact_url(world.class_1)).status_code == 405
    assert client.post(talk_url(world.class_1)).status_code == 405
    assert not AccessLog.objects.exists()
