"""A new county on an empty database, doing only what a county does — no Python, no demo:
`carenet setup county`, the school list, the staff sheet, one teacher activating their
account in the browser, a child register into a school — and that teacher then sees their
children and their due work on a phone."""

import datetime as dt
import json
import zoneinfo

import pytest
import time_machine

from carenet.cli import main
from carenet.lib.idcard import make_id_number
from tests.browser import BROWSER_MARKS, PHONE, phone_page
from tests.import_files import SIMPLE_HEADER, simple_row, xlsx

pytestmark = BROWSER_MARKS
SCHOOL = "3434001001"
TEACHER_PASSWORD = "Wangjiang-teacher-2026"
CHILDREN = ["刘一", "陈二", "张三"]


@pytest.fixture
def page():
    with phone_page() as tab:
        yield tab


def _write(tmp_path, name, rows):
    path = tmp_path / name
    path.write_bytes(xlsx(rows))
    return str(path)


def _county_files(tmp_path):
    schools = _write(
        tmp_path,
        "学校名单.xlsx",
        [
            ["望江县中小学校名单"],
            [
                "序号",
                "学校名称",
                "学校标识码",
                "所在乡镇",
                "办学类型",
                "一年级",
                "二年级",
                "三年级",
            ],
            [1, "华阳镇第一小学", SCHOOL, "华阳镇", "小学", 1, 1, 2],
        ],
    )
    staff = _write(
        tmp_path,
        "人员名单.xlsx",
        [
            ["序号", "姓名", "手机号", "学校", "角色", "任教班级", "班主任"],
            [1, "钱校长", "13900000002", SCHOOL, "校长", "", ""],
            [2, "赵老师", "13900000001", "华阳镇第一小学", "教师", "三(2)班", "三(2)班"],
        ],
    )
    register_rows = [
        simple_row(n, name, make_id_number("340827", dt.date(2015, 3, 4), 100 + 2 * n, "M"))
        for n, name in enumerate(CHILDREN, start=1)
    ]
    register = _write(tmp_path, "花名册.xlsx", [SIMPLE_HEADER, *register_rows])
    return schools, staff, register


def test_a_new_county_reaches_a_teacher_with_children_and_due_work(
    live_server, page, transactional_db, tmp_path, capsys
):
    term_day = dt.datetime(2026, 10, 12, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(term_day, tick=True):
        schools, staff, register = _county_files(tmp_path)
        assert main(["setup", "county", "340827"]) == 0
        assert main(["import", "schools", schools, "--county", "340827"]) == 0
        capsys.readouterr()
        assert main(["import", "staff", staff, "--county", "340827", "--json"]) == 0
        activations = json.loads(capsys.readouterr().out)["activations"]
        teacher = next(a for a in activations if a["name"] == "赵老师")
        assert main(["import", "children", register, "--school", SCHOOL]) == 0

        # The teacher activates the account with the code handed to them, then signs in.
        page.goto(f"{live_server.url}/activate/?username={teacher['username']}")
        page.fill("input[name=code]", teacher["code"])
        page.fill("input[name=password1]", TEACHER_PASSWORD)
        page.fill("input[name=password2]", TEACHER_PASSWORD)
        page.get_by_role("button", name="激活并设置密码").click()
        page.wait_for_url(f"{live_server.url}/login/**")
        page.fill("input[name=username]", teacher["username"])
        page.fill("input[name=password]", TEACHER_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url(live_server.url + "/")

        page.goto(live_server.url + "/children/")
        listed = page.locator("main").inner_text()
        assert all(name in listed for name in CHILDREN), listed

        page.goto(live_server.url + "/care/tasks/")
        tasks = page.locator("[data-task]")
        assert tasks.count() >= len(CHILDREN)
        body = page.locator("main").inner_text()
        assert all(name in body for name in CHILDREN), body
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
