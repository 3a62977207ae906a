"""转学 (a transfer to another school of the county), 转出县外 and 迁出: each step changes
the working lists and every indicator exactly as a hand count says; a refused or cancelled
request changes nothing; the receiving side's request by ID number says nothing of where
the child is; each role is refused the steps it may not take."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.audit.models import AccessAction, AccessLog
from carenet.care.selectors import my_children, tasks_for
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.models import (
    Child,
    ChildStatus,
    LeaveReason,
    Pairing,
    Transfer,
    TransferStatus,
)
from carenet.children.services import family_member_save, pairing_start
from carenet.children.transfers import (
    TransferError,
    transfer_accept,
    transfer_cancel,
    transfer_claim,
    transfer_move,
    transfer_refuse,
    transfer_request,
)
from carenet.indicators.models import SchoolFigures
from carenet.indicators.selectors import indicators_for
from carenet.orgs.models import Role
from tests.factories import user_add
from tests.test_indicators_speed import _from_scratch

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
AS_OF = dt.date(2026, 11, 16)  # a Monday in term
KEYS = ("filing_rate", "enrollment_rate", "retention_rate", "mentor_coverage", "talk_completion")


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 11, 16, 9, 0, tzinfo=TZ), tick=False):
        yield AS_OF


def cast_build(world):
    """The world, with a principal at 长岭中学, a guardian for 王子涵 (a complete file), a
    mentor for 王子涵 and a talk with 曾小雨 last Friday (on time for weekly talks).

    Children in care (left-behind) on AS_OF: 华阳小学 王子涵 (own_child, class 一(1)班,
    filed, mentored) and 曾小雨 (mentee, 二(1)班, mentored, talked to); 长岭中学 张伟 and
    赵强 (neither filed nor mentored). 李明 (school_child) is not left-behind."""
    world.users["other_principal"] = user_add("other_principal", Role.PRINCIPAL, world.other_school)
    family_member_save(
        actor=None,
        child=world.own_child,
        relation="guardian",
        data={"name": "王奶奶", "phone": "13700001111"},
    )
    pairing_start(child=world.own_child, mentor=world.user("teacher"), on=dt.date(2025, 9, 1))
    record_create(
        actor=world.user("teacher"),
        child=world.mentee,
        kind="talk",
        date=dt.date(2026, 11, 13),
        summary="谈心",
    )
    return world


@pytest.fixture
def cast(world, today):
    return cast_build(world)


def figures(org, as_of=AS_OF):
    shown = {
        i.key: (i.numerator, i.denominator)
        for i in indicators_for(org, as_of=as_of, children=Child.objects.all())
    }
    return {key: shown[key] for key in KEYS}


def hand(filed, enrolled, retained, mentored, talked, in_care):
    """The figures as counted by hand: numerators, then the number of children in care
    (all of school age)."""
    return {
        "filing_rate": (filed, in_care),
        "enrollment_rate": (enrolled, in_care),
        "retention_rate": (retained, in_care),
        "mentor_coverage": (mentored, in_care),
        "talk_completion": (talked, in_care),
    }


def task_children(tasks):
    return {(t.child.name, t.kind) for t in tasks}


def fresh(user):
    """The user as the next request loads them (a user object keeps its mentees)."""
    return type(user).objects.get(pk=user.pk)


def names(tasks):
    return {t.child.name for t in tasks}


def assert_kept_equals_scratch(world, as_of=AS_OF):
    for org in (world.school, world.other_school, world.township, world.county):
        kept = {
            i.key: (i.numerator, i.denominator)
            for i in indicators_for(org, as_of=as_of, children=Child.objects.all())
        }
        assert kept == _from_scratch(org, as_of), org.name


class TestTransferAccepted:
    def test_a_transfer_moves_the_file_the_lists_and_every_figure_as_counted_by_hand(
        self, cast, today
    ):
        w = cast
        teacher, principal = w.user("teacher"), w.user("principal")
        other = w.user("other_principal")
        # Before: by hand.
        assert figures(w.school) == hand(1, 2, 2, 2, 1, in_care=2)
        assert figures(w.other_school) == hand(0, 2, 2, 0, 0, in_care=2)
        assert figures(w.county) == hand(1, 4, 4, 2, 1, in_care=4)
        assert figures(w.other_township) == figures(w.other_school)
        assert names(tasks_for(my_children(teacher), as_of=today)) == {"王子涵", "曾小雨"}
        assert names(tasks_for(visible_children(principal), as_of=today)) == {"王子涵", "曾小雨"}
        assert names(tasks_for(visible_children(other), as_of=today)) == {"张伟", "赵强"}
        assert SchoolFigures.objects.filter(school=w.school).exists()  # kept

        transfer = transfer_request(
            child=w.own_child,
            to_school=w.other_school,
            reason="随父母务工地就近入学",
            actor=teacher,
        )
        # A request moves nothing yet.
        assert figures(w.school) == hand(1, 2, 2, 2, 1, in_care=2)
        assert w.own_child in visible_children(principal)
        transfer_accept(transfer=transfer, to_class=w.other_class, actor=other)

        child = Child.objects.get(pk=w.own_child.pk)
        assert (child.school, child.school_class) == (w.other_school, w.other_class)
        assert child.status == ChildStatus.ACTIVE
        latest = child.history.order_by("-history_id").first()
        assert latest.history_user == other and "转学" in latest.history_change_reason
        assert latest.school_id == w.other_school.pk
        assert child.history.filter(school_id=w.school.pk).exists()  # the history stays
        ended = Pairing.objects.get(child=child, mentor=teacher)
        assert (ended.ended_on, ended.end_reason) == (today, "转学")
        teacher, principal, other = fresh(teacher), fresh(principal), fresh(other)
        # Scope follows at once.
        assert child not in visible_children(principal)
        assert child in visible_children(other)
        assert child in visible_children(w.user("village_director"))  # still lives there
        # Working lists.
        assert names(tasks_for(my_children(teacher), as_of=today)) == {"曾小雨"}
        assert names(tasks_for(visible_children(principal), as_of=today)) == {"曾小雨"}
        assert names(tasks_for(visible_children(other), as_of=today)) == {"王子涵", "张伟", "赵强"}
        # Figures: 王子涵 counts at 长岭中学, filed, no longer mentored.
        assert figures(w.school) == hand(0, 1, 1, 1, 1, in_care=1)
        assert figures(w.other_school) == hand(1, 3, 3, 0, 0, in_care=3)
        assert figures(w.township) == figures(w.school)
        assert figures(w.other_township) == figures(w.other_school)
        assert figures(w.county) == hand(1, 4, 4, 1, 1, in_care=4)
        assert_kept_equals_scratch(w)

    def test_the_county_admin_moves_a_child_directly(self, cast, today):
        w = cast
        admin = w.user("county_admin")
        transfer = transfer_move(child=w.own_child, to_class=w.other_class, actor=admin)
        assert transfer.status == TransferStatus.ACCEPTED
        assert Child.objects.get(pk=w.own_child.pk).school == w.other_school
        assert figures(w.school) == hand(0, 1, 1, 1, 1, in_care=1)
        assert figures(w.county) == hand(1, 4, 4, 1, 1, in_care=4)
        assert_kept_equals_scratch(w)

    def test_a_request_to_a_school_of_another_county_or_the_same_school_is_refused(self, cast):
        w = cast
        with pytest.raises(TransferError):
            transfer_request(child=w.own_child, to_school=w.school, actor=None)
        with pytest.raises(TransferError):
            transfer_request(child=w.own_child, to_school=w.class_1, actor=None)
        transfer_request(child=w.own_child, to_school=w.other_school, actor=None)
        with pytest.raises(TransferError):  # one open request per child
            transfer_request(child=w.own_child, to_school=w.other_school, actor=None)

    def test_a_class_of_another_school_cannot_be_chosen_on_acceptance(self, cast):
        w = cast
        transfer = transfer_request(child=w.own_child, to_school=w.other_school, actor=None)
        with pytest.raises(TransferError):
            transfer_accept(transfer=transfer, to_class=w.class_2, actor=None)
        assert Child.objects.get(pk=w.own_child.pk).school == w.school


class TestTransferNotAccepted:
    @pytest.mark.parametrize("outcome", ["refused", "cancelled"])
    def test_a_refused_or_cancelled_request_changes_nothing(self, cast, today, outcome):
        w = cast
        before_child = Child.objects.filter(pk=w.own_child.pk).values().get()
        before_pairings = list(Pairing.objects.order_by("pk").values())
        before = {org.pk: figures(org) for org in (w.school, w.other_school, w.county)}
        transfer = transfer_request(child=w.own_child, to_school=w.other_school, actor=None)
        if outcome == "refused":
            with pytest.raises(TransferError):  # a reason is required
                transfer_refuse(transfer=transfer, note=" ", actor=w.user("other_principal"))
            transfer_refuse(transfer=transfer, note="班额已满", actor=w.user("other_principal"))
        else:
            transfer_cancel(transfer=transfer, actor=w.user("principal"))
        with pytest.raises(TransferError):  # decided once
            transfer_accept(transfer=transfer, to_class=w.other_class, actor=None)
        assert Child.objects.filter(pk=w.own_child.pk).values().get() == before_child
        assert list(Pairing.objects.order_by("pk").values()) == before_pairings
        for org in (w.school, w.other_school, w.county):
            assert figures(org) == before[org.pk]
        assert w.own_child in visible_children(w.user("principal"))
        assert w.own_child not in visible_children(w.user("other_principal"))


class TestClaimByIdNumber:
    def test_the_receiving_school_asks_and_the_file_moves_only_once_the_sender_consents(
        self, cast, client
    ):
        w = cast
        other = w.user("other_principal")
        client.force_login(other)
        response = client.post(
            "/transfers/claim/",
            {"id_number": w.own_child.id_number.lower(), "to_class": w.other_class.pk},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "已向持有该儿童档案的学校发送转学申请" in body
        for secret in ("王子涵", "华阳小学", "一(1)班", "王奶奶"):
            assert secret not in body, secret
        transfer = Transfer.objects.get(child=w.own_child)
        assert transfer.side == "receiving" and transfer.to_class == w.other_class
        assert Child.objects.get(pk=w.own_child.pk).school == w.school  # not yet
        assert w.own_child not in visible_children(other)
        # The receiving school's transfers page names neither the child nor the school.
        page = client.get("/transfers/").content.decode()
        assert f"转入申请 #{transfer.pk}" in page
        assert "王子涵" not in page and "华阳小学" not in page
        # The lookup is logged, without the child.
        entry = AccessLog.objects.get(action=AccessAction.TRANSFER_LOOKUP)
        assert entry.user == other and entry.child is None and entry.county_code == "340827"
        # The school holding the file consents: one file, moved.
        client.force_login(w.user("principal"))
        assert "王子涵" in client.get("/transfers/").content.decode()
        client.post(f"/transfers/{transfer.pk}/decide/", {"decision": "accept"})
        child = Child.objects.get(pk=w.own_child.pk)
        assert (child.school, child.school_class) == (w.other_school, w.other_class)
        assert Child.objects.filter(id_number_hash=child.id_number_hash).count() == 1
        assert AccessLog.objects.filter(
            action=AccessAction.TRANSFER_DECIDE, child=child, user=w.user("principal")
        ).exists()

    def test_every_number_that_cannot_be_used_gets_the_same_answer(self, cast, client):
        w = cast
        client.force_login(w.user("other_principal"))
        unusable = [
            "340827201503040000",  # a wrong check digit
            "11010120150304123X",  # nobody on file
            w.villager_elsewhere.id_number,  # already at this school
        ]
        answers = set()
        for number in unusable:
            body = client.post(
                "/transfers/claim/", {"id_number": number, "to_class": w.other_class.pk}
            ).content.decode()
            assert "该身份证号无法在此使用" in body
            assert "张伟" not in body and "华阳小学" not in body
            answers.add(body.count("无法在此使用"))
        assert not Transfer.objects.exists()
        assert AccessLog.objects.filter(action=AccessAction.TRANSFER_LOOKUP).count() == 3

    def test_a_child_who_left_the_roll_cannot_be_claimed(self, cast):
        w = cast
        from carenet.children.services import child_leave

        child_leave(child=w.own_child, on=AS_OF, reason=LeaveReason.MOVED_AWAY, actor=None)
        assert (
            transfer_claim(id_number=w.own_child.id_number, to_class=w.other_class, actor=None)
            is None
        )


class TestLeavingTheCounty:
    @pytest.mark.parametrize(
        ("step", "reason"), [("transfer_out", "transferred_out"), ("moved_away", "moved_away")]
    )
    def test_leaving_the_county_ends_duties_and_figures_from_that_day_only(
        self, cast, client, today, step, reason
    ):
        w = cast
        day_before = AS_OF - dt.timedelta(days=1)
        assert figures(w.school, day_before) == hand(1, 2, 2, 2, 1, in_care=2)  # kept
        client.force_login(w.user("principal"))
        response = client.post(
            f"/children/{w.own_child.pk}/path/{step}/",
            {"on": AS_OF.isoformat(), "note": "浙江省杭州市某小学"},
        )
        assert response.status_code == 302
        child = Child.objects.get(pk=w.own_child.pk)
        assert (child.status, child.left_on, child.left_reason) == ("left", AS_OF, reason)
        assert "浙江省杭州市某小学" in child.notes
        assert not Pairing.objects.filter(child=child, ended_on__isnull=True).exists()
        assert names(tasks_for(my_children(fresh(w.user("teacher"))), as_of=today)) == {"曾小雨"}
        assert figures(w.school) == hand(0, 1, 1, 1, 1, in_care=1)
        assert figures(w.county) == hand(0, 3, 3, 1, 1, in_care=3)
        # The days before still count the child (the history stays).
        assert figures(w.school, day_before) == hand(1, 2, 2, 2, 1, in_care=2)
        assert_kept_equals_scratch(w)
        assert_kept_equals_scratch(w, day_before)
        assert AccessLog.objects.filter(action=AccessAction.LEAVE, child=child).exists()

    def test_a_destination_is_required(self, cast, client):
        w = cast
        client.force_login(w.user("principal"))
        response = client.post(
            f"/children/{w.own_child.pk}/path/transfer_out/", {"on": AS_OF.isoformat()}
        )
        assert response.status_code == 200
        assert Child.objects.get(pk=w.own_child.pk).status == ChildStatus.ACTIVE


# Steps on 王子涵 (own_child): who gets the form (200), who sees the child but may not (403),
# who does not see the child (404).
TRANSFER_STEPS = ("transfer", "move", "transfer_out", "moved_away")
EXPECTED = {
    "county_admin": {"transfer": 200, "move": 200, "transfer_out": 200, "moved_away": 200},
    "principal": {"transfer": 200, "move": 403, "transfer_out": 200, "moved_away": 200},
    "teacher": {"transfer": 200, "move": 403, "transfer_out": 403, "moved_away": 403},
    "township_supervisor": dict.fromkeys(TRANSFER_STEPS, 403),
    "village_director": dict.fromkeys(TRANSFER_STEPS, 403),
    "other_principal": dict.fromkeys(TRANSFER_STEPS, 404),
    "stranger_teacher": dict.fromkeys(TRANSFER_STEPS, 404),
    "nobody": dict.fromkeys(TRANSFER_STEPS, 404),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_gets_only_the_transfer_steps_it_may_take(cast, client, role):
    w = cast
    client.force_login(w.user(role))
    for step, expected in EXPECTED[role].items():
        url = f"/children/{w.own_child.pk}/path/{step}/"
        assert client.get(url).status_code == expected, (role, step)
        if expected != 200:
            assert client.post(url, {"on": AS_OF.isoformat(), "note": "x"}).status_code == expected
    assert Child.objects.get(pk=w.own_child.pk).status == ChildStatus.ACTIVE
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("county_admin", 200),
        ("principal", 200),
        ("other_principal", 200),
        ("teacher", 403),
        ("township_supervisor", 403),
        ("village_director", 403),
        ("nobody", 403),
    ],
)
def test_the_transfers_pages_answer_school_managers_and_the_county(cast, client, role, expected):
    client.force_login(cast.user(role))
    assert client.get("/transfers/").status_code == expected
    assert client.get("/transfers/claim/").status_code == expected


def test_only_the_deciding_school_decides_and_only_the_asking_side_cancels(cast, client):
    w = cast
    transfer = transfer_request(
        child=w.own_child, to_school=w.other_school, actor=w.user("teacher")
    )
    url = f"/transfers/{transfer.pk}/decide/"
    # The asking school may not accept its own request; the stranger does not see it.
    client.force_login(w.user("principal"))
    assert client.post(url, {"decision": "accept", "to_class": w.class_1.pk}).status_code == 403
    client.force_login(w.user("stranger_teacher"))
    assert client.post(url, {"decision": "cancel"}).status_code == 404
    client.force_login(w.user("other_principal"))
    assert client.post(url, {"decision": "cancel"}).status_code == 403
    assert Transfer.objects.get(pk=transfer.pk).status == TransferStatus.REQUESTED
    # The teacher who asked sees the request and may take it back.
    client.force_login(w.user("teacher"))
    assert client.get("/transfers/").status_code == 200
    assert client.post(url, {"decision": "cancel"}).status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).status == TransferStatus.CANCELLED


def test_the_receiving_principal_accepts_on_the_page_choosing_a_class(cast, client):
    w = cast
    client.force_login(w.user("teacher"))
    response = client.post(
        f"/children/{w.own_child.pk}/path/transfer/",
        {"to_school": w.other_school.pk, "reason": "随迁"},
    )
    assert response.status_code == 302
    transfer = Transfer.objects.get(child=w.own_child)
    assert AccessLog.objects.filter(action=AccessAction.TRANSFER_REQUEST).count() == 1
    client.force_login(w.user("other_principal"))
    page = client.get("/transfers/").content.decode()
    assert "王子涵" in page and "七(1)班" in page
    client.post(
        f"/transfers/{transfer.pk}/decide/", {"decision": "accept", "to_class": w.other_class.pk}
    )
    assert Child.objects.get(pk=w.own_child.pk).school_class == w.other_class
    assert client.get(f"/children/{w.own_child.pk}/").status_code == 200
    client.force_login(w.user("principal"))
    assert client.get(f"/children/{w.own_child.pk}/").status_code == 404
