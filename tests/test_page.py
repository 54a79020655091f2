"""The chat page in headless Chromium (Debian's chromium + chromedriver): ask, cite, expand, stay text."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from api_support import build_test_index, disk_loader, running_server

from api.main import create_app
from embed.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WAIT_S = 30

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "the browser test needs Debian's chromium and chromium-driver (/usr/bin/chromium, "
        "/usr/bin/chromedriver): apt-get install chromium chromium-driver",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402 - only once the browser is known to be there
from selenium.webdriver.chrome.service import Service as DriverService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, fake_encoder):
    folder = tmp_path_factory.mktemp("page") / "index"
    build_test_index(folder, fake_encoder)
    app = create_app(Settings(index_dir=folder), loader=disk_loader(fake_encoder))
    with running_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="policyqa-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")  # a fresh profile: no state between runs
    driver = webdriver.Chrome(service=DriverService(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(1280, 900)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser, base_url: str):
    browser.set_window_size(1280, 900)
    browser.get(base_url + "/")
    browser.execute_script("sessionStorage.clear()")  # each test starts with an empty conversation
    browser.refresh()
    WebDriverWait(browser, WAIT_S).until(ec.text_to_be_present_in_element((By.ID, "status"), "已载入"))
    return browser


def _ask(driver, question: str):
    """Type a question, press Enter, and return the finished reply bubble."""
    before = len(driver.find_elements(By.CSS_SELECTOR, ".msg.bot"))
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)

    def finished(d):
        replies = d.find_elements(By.CSS_SELECTOR, ".msg.bot")
        return len(replies) > before and "pending" not in replies[-1].get_attribute("class") and replies[-1]

    return WebDriverWait(driver, WAIT_S).until(finished)


def test_asking_shows_a_cited_answer_with_highlighted_passages(page) -> None:
    reply = _ask(page, "沁泉湖公园的总面积是多少？")
    answer = reply.find_element(By.CSS_SELECTOR, ".answer")
    assert "296亩" in answer.text
    cites = answer.find_elements(By.CSS_SELECTOR, "a.cite")
    assert cites and all(c.text.startswith("[") for c in cites)
    target_id = cites[0].get_attribute("href").split("#", 1)[1]
    card = page.find_element(By.ID, target_id)
    assert "沁泉湖公园开园迎客" in card.find_element(By.CSS_SELECTOR, ".title").text
    assert "2020-05-01" in card.find_element(By.CSS_SELECTOR, ".meta").text
    marks = [m.text for m in card.find_elements(By.CSS_SELECTOR, ".passage-text mark")]
    assert any("沁泉湖" in m or "面积" in m for m in marks)
    page.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", cites[0])
    cites[0].click()
    WebDriverWait(page, WAIT_S).until(lambda d: "flash" in card.get_attribute("class"))


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_after_a_question_the_view_rests_on_the_answer(page, size) -> None:
    page.set_window_size(*size)
    _ask(page, "沁泉湖公园的总面积是多少？")  # a first exchange fills the log, so the second must scroll
    reply = _ask(page, "大沙河生态治理")
    answer = reply.find_element(By.CSS_SELECTOR, ".answer")

    def answer_in_view(d) -> bool:
        box = d.execute_script(
            "const r = arguments[0].getBoundingClientRect(), l = document.getElementById('log')"
            ".getBoundingClientRect(); return [r.top, r.bottom, l.top, l.bottom];",
            answer,
        )
        return box[0] >= box[2] - 1 and box[0] < box[3]

    WebDriverWait(page, WAIT_S).until(answer_in_view)
    assert reply.find_elements(By.CSS_SELECTOR, ".passage")  # the passages are below, not scrolled to


def test_an_answer_shows_its_confidence_in_words_not_scaled_scores(page) -> None:
    reply = _ask(page, "沁泉湖公园的总面积是多少？")
    badge = reply.find_element(By.CSS_SELECTOR, ".answer .confidence")
    assert badge.text in ("把握较大", "有一定把握", "把握不大，请核对原文")
    assert "%" in badge.get_attribute("title")
    assert "相关度" not in reply.text


def test_a_hostile_question_is_shown_as_text_and_never_runs(page) -> None:
    hostile = '<img src=x onerror="window.__pwned=1"> 公园 <script>window.__pwned=2</script>'
    reply = _ask(page, hostile)
    bubbles = page.find_elements(By.CSS_SELECTOR, ".msg.user .question")
    assert bubbles[-1].text == hostile
    log = page.find_element(By.ID, "log")
    assert not log.find_elements(By.CSS_SELECTOR, ".msg img, .msg script")
    assert page.execute_script("return window.__pwned === undefined")
    assert reply.is_displayed()


def test_an_article_with_markup_in_it_expands_as_text(page) -> None:
    reply = _ask(page, "联创共建意见书")
    card = next(
        c
        for c in reply.find_elements(By.CSS_SELECTOR, ".passage")
        if "营商环境" in c.find_element(By.CSS_SELECTOR, ".title").text
    )
    card.find_element(By.CSS_SELECTOR, "button.more").click()
    full = WebDriverWait(page, WAIT_S).until(lambda d: card.find_element(By.CSS_SELECTOR, ".full-text"))
    assert "<script>alert(1)</script>" in full.text
    assert not card.find_elements(By.CSS_SELECTOR, "script")
    assert card.find_elements(By.CSS_SELECTOR, ".full-text .here")  # the passage is marked in the article
    card.find_element(By.CSS_SELECTOR, "button.more").click()
    assert not card.find_element(By.CSS_SELECTOR, ".full").is_displayed()


def test_shift_enter_makes_a_new_line_instead_of_sending(page) -> None:
    box = page.find_element(By.ID, "question")
    box.send_keys("第一行")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    box.send_keys("第二行")
    assert box.get_attribute("value") == "第一行\n第二行"
    assert not page.find_elements(By.CSS_SELECTOR, ".msg")


def test_a_sample_question_can_be_clicked(page) -> None:
    sample = page.find_element(By.CSS_SELECTOR, ".sample")
    text = sample.text
    sample.click()
    WebDriverWait(page, WAIT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".msg.bot:not(.pending)"))
    assert page.find_element(By.CSS_SELECTOR, ".msg.user .question").text == text
    assert not page.find_element(By.ID, "intro").is_displayed()


def test_a_refused_question_shows_the_servers_reason(page) -> None:
    reply = _ask(page, "？？？的了吗")
    assert "error" in reply.get_attribute("class")
    assert "换个问法" in reply.find_element(By.CSS_SELECTOR, ".error-title").text
    assert "nothing searchable" in reply.find_element(By.CSS_SELECTOR, ".error-text").text
    assert reply.find_element(By.CSS_SELECTOR, "button.retry").is_displayed()


def test_the_page_fits_a_phone_screen(page) -> None:
    page.set_window_size(390, 844)
    _ask(page, "垃圾分类宣传活动")
    overflow = page.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.find_element(By.ID, "send").is_displayed()


def test_the_conversation_survives_a_reload_until_cleared(page) -> None:
    _ask(page, "百亿产业集群")
    page.refresh()
    WebDriverWait(page, WAIT_S).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".msg.bot .answer")))
    assert page.find_element(By.CSS_SELECTOR, ".msg.user .question").text == "百亿产业集群"
    assert page.find_elements(By.CSS_SELECTOR, ".msg.bot .passage")
    assert not page.find_element(By.ID, "intro").is_displayed()
    page.find_element(By.ID, "clear").click()
    assert not page.find_elements(By.CSS_SELECTOR, ".msg")
    assert page.find_element(By.ID, "intro").is_displayed()
    page.refresh()
    assert not page.find_elements(By.CSS_SELECTOR, ".msg")
