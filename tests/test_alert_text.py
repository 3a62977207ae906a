"""Text signals (carenet/alerts/text.py): the lexicon matched with jieba on care records.

Floors come from `python bench/text_signals.py` (docs/text-signals.md): each is the
figure measured for jieba with lexicon 2026.12.2, rounded down to 0.05 (precision, at
1.000, given one step of room).
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from carenet.alerts.text import (
    CATEGORY_LABELS,
    LEXICON_PATH,
    Matcher,
    SignalCategory,
    TextSignal,
    find_signals,
    lexicon_version,
    load_lexicon,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "text_signals_sample.tsv"
HELD_OUT_FROM = 220  # rows written after lexicon 2026.12.1 was frozen (bench/text_signals.py)

C = SignalCategory


def categories(text: str) -> list[SignalCategory]:
    return [s.category for s in find_signals(text)]


def read_sample() -> list[tuple[str, set[str]]]:
    rows = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines()[1:]:
        sentence, _, labels = line.partition("\t")
        rows.append((sentence, {c for c in labels.split(",") if c}))
    return rows


def micro(rows: list[tuple[str, set[str]]]) -> tuple[float, float]:
    tp = fp = fn = 0
    for sentence, gold in rows:
        got = {s.category.value for s in find_signals(sentence)}
        tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
    return tp / (tp + fp), tp / (tp + fn)


class TestSample:
    def test_the_sample_is_large_and_about_half_signals(self):
        rows = read_sample()
        assert len(rows) >= 240
        with_signal = sum(1 for _, gold in rows if gold)
        assert 0.4 < with_signal / len(rows) < 0.6
        assert {c for _, gold in rows for c in gold} == {c.value for c in SignalCategory}

    def test_the_matcher_meets_its_measured_floor_on_the_whole_sample(self):
        precision, recall = micro(read_sample())
        assert precision >= 0.95
        assert recall >= 0.90

    def test_the_matcher_meets_its_measured_floor_on_the_held_out_rows(self):
        precision, recall = micro(read_sample()[HELD_OUT_FROM:])
        assert precision >= 0.95
        assert recall >= 0.70

    def test_every_signal_on_the_sample_points_at_its_phrase(self):
        text = "\n".join(sentence for sentence, _ in read_sample())
        signals = find_signals(text)
        assert len(signals) > 100
        for s in signals:
            assert text[s.start : s.end] == s.phrase
            assert s.phrase in s.sentence
            assert s.sentence in text


class TestCases:
    def test_a_negated_term_does_not_fire(self):
        assert find_signals("没有被欺负") == []
        assert find_signals("从来没有人打我") == []
        assert find_signals("孩子说爸爸已经不再打他了。") == []

    def test_not_wanting_to_die_is_not_self_harm(self):
        assert find_signals("不想死了吧") == []
        assert find_signals("他说不想死") == []

    def test_not_wanting_to_live_is_self_harm_taken_whole(self):
        assert find_signals("不想活了") == [
            TextSignal(C.SELF_HARM, phrase="不想活", start=0, end=3, sentence="不想活了")
        ]

    def test_a_father_hitting_the_child_is_domestic_violence(self):
        assert find_signals("爸爸喝酒后打我") == [
            TextSignal(
                C.DOMESTIC_VIOLENCE, phrase="打我", start=5, end=7, sentence="爸爸喝酒后打我"
            )
        ]

    def test_a_classmate_hitting_the_child_is_bullying(self):
        assert categories("高年级的学生向他要钱，不给就打他。") == [C.BULLYING]
        assert categories("他说同学逼他下跪，还踢他。") == [C.BULLYING]

    def test_parents_working_away_is_not_child_labour(self):
        assert find_signals("父母在外打工") == []
        assert find_signals("他爸爸在广东打工，一年回来一次。") == []
        assert find_signals("暑假他去爸妈打工的城市住了一个月。") == []

    def test_a_child_leaving_school_for_work_is_child_labour_and_dropout(self):
        text = "他说想去广东打工不读书了"
        assert find_signals(text) == [
            TextSignal(C.CHILD_LABOUR, phrase="去广东打工", start=3, end=8, sentence=text),
            TextSignal(C.DROPOUT, phrase="不读书了", start=8, end=12, sentence=text),
        ]

    def test_hyperbole_with_death_is_not_self_harm(self):
        for text in ("笑死了", "今天热死了", "他说作业多得要死", "妈妈打电话时他说想死你了"):
            assert find_signals(text) == [], text

    def test_words_that_only_contain_a_term_do_not_fire(self):
        for text in ("他给妈妈打电话", "他和同学打球", "他把家里打扫干净", "他被这个故事打动了"):
            assert find_signals(text) == [], text

    def test_a_negation_in_another_clause_does_not_cancel(self):
        assert categories("他说没人管他，爸爸经常打他") == [C.DOMESTIC_VIOLENCE]

    def test_a_word_that_starts_with_a_negation_is_no_negation(self):
        # 不久 and 别人 are words of their own; without segmentation their 不/别 negate
        lexicon = load_lexicon()
        for text in ("不久又被打了。", "别人打他。"):
            assert categories(text) == [C.DOMESTIC_VIOLENCE], text
            assert Matcher(lexicon, None).find(text) == [], text

    def test_a_term_that_holds_a_negation_fires(self):
        assert categories("他做噩梦时喊“爸爸别打我”。") == [C.DOMESTIC_VIOLENCE]
        assert categories("继母经常不给他饭吃") == [C.ABUSE]

    def test_an_unanswered_or_denied_question_does_not_fire(self):
        assert find_signals("以前有没有人欺负你？没有") == []
        assert find_signals("问他爸爸打不打他，他摇头。") == []
        assert find_signals("你会不会想离家出走？孩子说不会。") == []

    def test_an_affirmed_question_fires(self):
        assert categories("以前有没有人欺负你？有。") == [C.BULLYING]
        assert categories("问她是不是被人欺负了，她点头。") == [C.BULLYING]

    def test_a_hedge_cancels_an_intention_but_never_harm(self):
        assert find_signals("他说要离家出走，后来又说是开玩笑的。") == []
        assert find_signals("他说不去上学了是气话。") == []
        assert categories("他开玩笑说要跳楼。") == [C.SELF_HARM]
        assert categories("几个男生推倒他，说是闹着玩。同学都在欺负他。") == [C.BULLYING]

    def test_suspicion_is_no_hedge(self):
        assert categories("他是被打了吧，脸上有伤。") == [C.DOMESTIC_VIOLENCE]

    def test_one_signal_per_category_and_sentence(self):
        text = "爸爸打他，妈妈也打他。奶奶说爷爷也打他。"
        signals = find_signals(text)
        assert [(s.category, s.start, s.phrase) for s in signals] == [
            (C.DOMESTIC_VIOLENCE, 2, "打他"),
            (C.DOMESTIC_VIOLENCE, 17, "打他"),
        ]
        assert [s.sentence for s in signals] == ["爸爸打他，妈妈也打他。", "奶奶说爷爷也打他。"]

    def test_signals_come_in_the_order_of_the_text(self):
        signals = find_signals("他说不想上学了。昨晚他离家出走，还说想死。")
        assert [s.category for s in signals] == [C.DROPOUT, C.RUNNING_AWAY, C.SELF_HARM]
        assert [s.start for s in signals] == sorted(s.start for s in signals)

    def test_empty_text_has_no_signals(self):
        assert find_signals("") == []
        assert find_signals("  \n ") == []


class TestLexicon:
    def test_the_version_is_the_files(self):
        with LEXICON_PATH.open("rb") as f:
            data = tomllib.load(f)
        assert lexicon_version() == data["version"] != ""
        assert data["source"].strip()

    def test_it_has_every_category_and_each_a_label(self):
        lexicon = load_lexicon()
        assert [c.category for c in lexicon.categories] == list(SignalCategory)
        assert set(CATEGORY_LABELS) == set(SignalCategory)
        assert all(str(label) for label in CATEGORY_LABELS.values())
        assert all(len(c.terms) >= 5 for c in lexicon.categories)

    def test_a_bad_actor_rule_is_refused(self, tmp_path):
        text = LEXICON_PATH.read_text(encoding="utf-8").replace(
            'peer = "bullying"', 'peer = "nonsense"'
        )
        bad = tmp_path / "lexicon.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match="actor rule"):
            load_lexicon(bad)

    def test_it_ships_in_the_wheel(self):
        with (ROOT / "pyproject.toml").open("rb") as f:
            package_data = tomllib.load(f)["tool"]["setuptools"]["package-data"]
        assert "data/*.toml" in package_data["carenet.alerts"]


class TestPrivacy:
    def test_the_module_never_logs_or_prints(self):
        source = (ROOT / "carenet" / "alerts" / "text.py").read_text(encoding="utf-8")
        assert not re.search(
            r"\bprint\(|getLogger|\.(debug|info|warning|error|exception)\(", source
        )

    def test_loading_and_matching_write_nothing(self):
        code = "from carenet.alerts.text import find_signals; assert find_signals('爸爸喝酒后打我')"
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        assert done.stdout == "" and done.stderr == ""

    def test_threads_share_one_matcher(self):
        results: list[list[TextSignal]] = []
        threads = [
            threading.Thread(target=lambda: results.append(find_signals("他说不想活了")))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 4 and all(r == results[0] != [] for r in results)
