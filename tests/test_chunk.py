from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from embed.config import Settings
from embed.datamodels import Article
from embed.text.chunk import ChunkSettings, chunk_article, passage_text

RULES = ChunkSettings(max_chars=120, min_chars=40, overlap_chars=30)


def _article(text: str, aid: str = "page#1") -> Article:
    return Article(
        article_id=aid, title="沁泉湖公园建设提速", text=text, source="page.txt", date="2019-08-18"
    )


def _long_text(n: int = 30) -> str:
    return "".join(f"第{i}项工作要抓紧推进，确保按期完成任务。" for i in range(n))


def test_each_passage_is_the_exact_span_of_the_article_text():
    article = _article(_long_text())
    for chunk in chunk_article(article, RULES, 0):
        assert article.text[chunk.start : chunk.end] == chunk.text


def test_passages_never_exceed_the_maximum_size():
    chunks = chunk_article(_article(_long_text()), RULES, 0)
    assert len(chunks) > 3
    assert all(len(c.text) <= RULES.max_chars for c in chunks)


def test_every_character_of_the_article_is_in_some_passage():
    text = _long_text() + "最后一句没有句号"
    chunks = chunk_article(_article(text), RULES, 0)
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert covered == set(range(len(text)))


def test_a_trailing_clause_without_an_end_mark_is_kept():
    chunks = chunk_article(_article("会议强调要抓落实。下一步将继续推进"), RULES, 0)
    assert chunks[-1].text.endswith("下一步将继续推进")


def test_closing_quotes_stay_with_their_sentence():
    text = "".join(f"他说：“第{i}件事情已经办好了，请大家放心。”" for i in range(20))
    for chunk in chunk_article(_article(text), RULES, 0):
        assert not chunk.text.startswith("”")
        assert chunk.text.endswith("”")


def test_consecutive_passages_overlap_by_whole_sentences():
    chunks = chunk_article(_article(_long_text()), RULES, 0)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start < before.end
        assert before.end - after.start <= RULES.overlap_chars
        assert before.text.endswith(after.text[: before.end - after.start])


def test_a_sentence_longer_than_a_passage_is_cut_after_a_comma():
    sentence = "，".join(["示范区持续推进城中村改造工作"] * 20) + "。"
    chunks = chunk_article(_article(sentence), RULES, 0)
    assert len(chunks) > 1
    assert all(len(c.text) <= RULES.max_chars for c in chunks)
    assert all(c.text.endswith(("，", "。")) for c in chunks)


def test_passages_carry_the_article_identity_and_are_numbered_from_first_id():
    chunks = chunk_article(_article(_long_text(), aid="page#7"), RULES, 100)
    assert [c.chunk_id for c in chunks] == list(range(100, 100 + len(chunks)))
    assert {(c.article_id, c.title, c.date, c.source) for c in chunks} == {
        ("page#7", "沁泉湖公园建设提速", "2019-08-18", "page.txt")
    }


def test_short_sentences_are_packed_together_up_to_the_maximum():
    text = "甲" * 50 + "。" + "乙" * 50 + "。" + "丙" * 10 + "。"
    chunks = chunk_article(_article(text), ChunkSettings(max_chars=120, min_chars=40, overlap_chars=0), 0)
    assert [c.text for c in chunks] == [text]


def test_a_short_last_passage_reaches_back_to_the_minimum_size():
    text = "甲" * 70 + "。" + "乙" * 40 + "。" + "丙" * 40 + "。" + "丁" * 10 + "。"
    rules = ChunkSettings(max_chars=120, min_chars=60, overlap_chars=0)
    chunks = chunk_article(_article(text), rules, 0)
    assert len(chunks[-1].text) >= rules.min_chars
    assert chunks[-1].text.endswith("丁。")


def test_an_empty_article_has_no_passages():
    assert chunk_article(_article("   \n "), RULES, 0) == []


def test_global_settings_are_accepted_and_title_and_date_reach_the_passage_text():
    chunk = chunk_article(_article("示范区召开大会。"), Settings(), 0)[0]
    assert passage_text(chunk).startswith("沁泉湖公园建设提速 2019-08-18\n")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(["示范区", "推进", "。", "！", "？", "”", "，", "\n", "工作", "a"]), max_size=200
    )
)
def test_chunks_are_exact_bounded_and_cover_all_non_blank_text(pieces):
    text = "".join(pieces)
    chunks = chunk_article(_article(text), RULES, 0)
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    assert all(text[c.start : c.end] == c.text and len(c.text) <= RULES.max_chars for c in chunks)
