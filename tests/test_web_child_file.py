"""The child file and the contact card: scope, masking, sections and change history."""

import re

import pytest
from django.urls import reverse

from carenet.children.models import Relation
from carenet.children.services import child_save, family_member_save

pytestmark = pytest.mark.django_db

ROLES_SEEING_OWN_CHILD = [
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "teacher",
]


def _get(client, user, name, child):
    client.force_login(user)
    return client.get(reverse(name, args=[child.pk]))


def _guardian_add(child, phone="13712345678"):
    family_member_save(
        actor=None,
        child=child,
        relation=Relation.GUARDIAN,
        data={"name": "王奶奶", "kinship": "祖母", "phone": phone, "age": 66},
    )


@pytest.mark.parametrize("role", ROLES_SEEING_OWN_CHILD)
@pytest.mark.parametrize("page", ["child_detail", "child_card"])
def test_every_role_with_the_child_in_scope_opens_the_file(client, world, role, page):
    response = _get(client, world.user(role), page, world.own_child)
    assert response.status_code == 200
    assert "王子涵" in response.content.decode()


@pytest.mark.parametrize("page", ["child_detail", "child_card", "child_edit"])
def test_teacher_gets_404_for_a_child_outside_scope(client, world, page):
    assert _get(client, world.user("teacher"), page, world.outsider).status_code == 404


@pytest.mark.parametrize("page", ["child_detail", "child_card", "child_edit"])
def test_404_for_a_child_out_of_scope_says_nothing_of_the_child(client, world, page):
    response = _get(client, world.user("stranger_teacher"), page, world.own_child)
    assert response.status_code == 404
    assert "王子涵" not in response.content.decode()


def test_404_for_a_child_that_does_not_exist(client, world):
    client.force_login(world.user("county_admin"))
    assert client.get(reverse("child_detail", args=[999999])).status_code == 404


def test_archived_child_is_404(client, world):
    world.own_child.status = "archived"
    world.own_child.save()
    assert _get(client, world.user("teacher"), "child_detail", world.own_child).status_code == 404


def test_teacher_opens_a_mentee_from_another_class(client, world):
    assert _get(client, world.user("teacher"), "child_detail", world.mentee).status_code == 200


def test_township_supervisor_sees_phones_and_id_numbers_masked(client, world):
    response = _get(client, world.user("township_supervisor"), "child_detail", world.own_child)
    html = response.content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert world.own_child.id_number not in html
    assert world.own_child.id_number[:6] + "********" + world.own_child.id_number[-4:] in html


def test_teacher_sees_the_full_phone_and_id_number_after_pressing_show(client, world):
    html = _get(client, world.user("teacher"), "child_detail", world.own_child).content.decode()
    assert "138****5678" in html and "13812345678" not in html
    client.post(reverse("audit_reveal", args=[world.own_child.pk]))
    html = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
    assert "13812345678" in html and "138****5678" not in html
    assert world.own_child.id_number in html


def test_show_is_explained_in_a_line_until_it_is_pressed(client, world):
    note = "点“显示”会查看完整号码，并记入访问日志。"
    html = _get(client, world.user("teacher"), "child_detail", world.own_child).content.decode()
    assert html.count(note) == 1 and 'id="reveal-note"' in html
    client.post(reverse("audit_reveal", args=[world.own_child.pk]))
    html = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
    assert note not in html
    # A role that may not see contacts gets neither the button nor the line.
    html = _get(client, world.user("principal"), "child_detail", world.own_child).content.decode()
    assert (reverse("audit_reveal", args=[world.own_child.pk]) in html) == (note in html)


def test_the_files_actions_keep_their_labels_whole(client, world):
    html = _get(client, world.user("teacher"), "child_detail", world.own_child).content.decode()
    start = html.index('id="child-actions"')
    # Up to the next section: the 预警 card (whoever handles alerts), else the file.
    ends = [html.find(mark, start) for mark in ('id="child-alerts"', 'id="basic"')]
    actions = html[start : min(end for end in ends if end > 0)]
    buttons = re.findall(r'<(?:a|button) class="(btn [^"]+)"[^>]*>([^<]+)</(?:a|button)>', actions)
    assert [label for _, label in buttons][:1] == ["记录"] and len(buttons) >= 4
    assert all("text-nowrap" in classes and "btn-sm" not in classes for classes, _ in buttons)


def test_county_admin_sees_contacts_masked(client, world):
    html = _get(client, world.user("county_admin"), "child_detail", world.own_child)
    assert "138****5678" in html.content.decode()


def test_contact_card_masks_for_the_supervisor_and_not_for_the_village_director(client, world):
    _guardian_add(world.own_child)
    masked = _get(client, world.user("township_supervisor"), "child_card", world.own_child)
    client.force_login(world.user("village_director"))
    client.post(reverse("audit_reveal", args=[world.own_child.pk]))
    full = client.get(reverse("child_card", args=[world.own_child.pk]))
    assert "137****5678" in masked.content.decode() and "13712345678" not in masked.content.decode()
    assert "13712345678" in full.content.decode()


def test_contact_card_is_built_from_the_file(client, world):
    teacher = world.user("teacher")
    teacher.last_name, teacher.first_name = "刘", "老师"
    teacher.save()
    family_member_save(
        actor=None,
        child=world.mentee,
        relation=Relation.MOTHER,
        data={"name": "母亲", "work_city": "宁波市", "employer": "宁波某服装厂"},
    )
    html = _get(client, teacher, "child_card", world.mentee).content.decode()
    for text in [
        "留守儿童联系卡",
        "曾小雨",
        "华阳小学",
        "二(1)班",
        "宁波市",
        "宁波某服装厂",
        "刘老师",
    ]:
        assert text in html
    assert 'data-action="print"' in html


def test_file_shows_family_with_work_place_and_away_since(client, world):
    family_member_save(
        actor=None,
        child=world.own_child,
        relation=Relation.FATHER,
        data={"name": "王大山", "work_province": "浙江省", "employer": "杭州建筑公司"},
    )
    _guardian_add(world.own_child)
    html = _get(client, world.user("teacher"), "child_detail", world.own_child).content.decode()
    for text in ["王大山", "浙江省", "杭州建筑公司", "2025-02-01", "王奶奶", "祖母", "137****5678"]:
        assert text in html


def test_file_shows_left_behind_type_civil_flag_and_history(client, world):
    response = _get(client, world.user("teacher"), "child_detail", world.own_child)
    html = response.content.decode()
    assert "双亲留守" in html
    assert "是留守儿童" in html  # 民政口径: both parents away, under 16, rural
    assert "2025-05-01" in html  # three months after both parents left


def test_file_shows_the_active_mentor(client, world):
    teacher = world.user("teacher")
    teacher.last_name, teacher.first_name = "刘", "老师"
    teacher.save()
    html = _get(client, world.user("principal"), "child_detail", world.mentee).content.decode()
    assert "刘老师" in html and "2025-09-01" in html


def test_edit_button_only_for_users_who_may_edit(client, world):
    edit_url = reverse("child_edit", args=[world.own_child.pk])
    teacher = _get(client, world.user("teacher"), "child_detail", world.own_child)
    supervisor = _get(client, world.user("township_supervisor"), "child_detail", world.own_child)
    mentee = _get(client, world.user("teacher"), "child_detail", world.mentee)
    assert edit_url in teacher.content.decode()
    assert edit_url not in supervisor.content.decode()
    assert reverse("child_edit", args=[world.mentee.pk]) not in mentee.content.decode()


def test_change_history_names_who_changed_which_fields(client, world):
    principal = world.user("principal")
    principal.last_name, principal.first_name = "陈", "校长"
    principal.save()
    child = world.own_child
    child_save(actor=principal, child=child, data={"interests": "画画", "boarding": True})
    family_member_save(
        actor=principal, child=child, relation=Relation.FATHER, data={"phone": "13800001111"}
    )
    response = _get(client, world.user("teacher"), "child_detail", child)
    changes = [e for e in response.context["timeline"] if e.kind == "change"]
    assert (changes[0].detail, changes[0].who) == ("修改父亲：联系电话", principal)
    assert changes[1].detail.startswith("修改儿童：")
    assert set(changes[1].detail.split("：")[1].split("、")) == {"兴趣爱好", "寄宿"}
    assert changes[-1].detail.startswith("新建")
    html = response.content.decode()
    assert "陈校长" in html and "修改父亲：联系电话" in html
    assert "13812345678" not in html.split('id="timeline"')[1]  # no values in the history


def test_change_history_leaves_out_saves_that_changed_nothing(client, world):
    child_save(actor=None, child=world.own_child, data={})
    response = _get(client, world.user("teacher"), "child_detail", world.own_child)
    timeline = response.context["timeline"]
    child_changes = [e for e in timeline if e.kind == "change" and "儿童" in e.detail]
    assert [e.detail for e in child_changes] == ["新建儿童信息"]
