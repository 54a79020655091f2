from __future__ import annotations

import random

from embed.answer.questions import make_question, make_questions

SENTENCE = "示范区今年实施重点工业项目49个，总投资161.3亿元，计划9月30日前全部开工。"
LEAD = "示范区召开重点项目建设推进会。"


def test_a_question_hides_one_fact_and_asks_for_it_with_the_matching_word():
    for seed in range(20):
        question = make_question(SENTENCE, random.Random(seed), LEAD)
        assert question is not None and question.answerable
        assert question.answer in SENTENCE and question.answer not in question.text
        asked = {"9月30日": "什么时候", "49个": "多少个", "161.3亿元": "多少亿元"}[question.answer]
        assert asked in question.text and question.text.endswith("？")


def test_a_sentence_without_a_fact_makes_no_question():
    assert make_question("会议要求各部门高度重视，抓好落实。", random.Random(1)) is None


def test_the_same_seed_makes_the_same_questions():
    articles = [LEAD + SENTENCE + "会议要求各部门高度重视。"] * 3
    first = make_questions(articles, [], random.Random(7), near_share=0.5)
    again = make_questions(articles, [], random.Random(7), near_share=0.5)
    assert first == again


def test_a_near_unanswerable_question_has_its_sentence_cut_from_the_archive():
    articles = [LEAD + SENTENCE + "会议要求各部门高度重视。"]
    indexed, questions = make_questions(articles, [], random.Random(3), near_share=1.0)
    assert len(questions) == 1 and not questions[0].answerable
    assert SENTENCE not in indexed[0] and LEAD in indexed[0]


def test_questions_from_outside_articles_are_unanswerable_and_leave_the_archive_alone():
    indexed, questions = make_questions([LEAD], [LEAD + SENTENCE], random.Random(3), near_share=0.0)
    assert indexed == [LEAD]
    assert [q.answerable for q in questions] == [False]
