// policyqa chat page. Every string from the user or the server goes into the page as text
// (textContent / createTextNode), never as HTML, so a question like <img onerror=...> stays text.
"use strict";

(() => {
  const TOP_K = 5;
  const MAX_CHARS = 500;
  const HISTORY_KEY = "policyqa.history.v1";
  const HISTORY_MAX = 20;

  const log = document.getElementById("log");
  const intro = document.getElementById("intro");
  const form = document.getElementById("ask");
  const input = document.getElementById("question");
  const send = document.getElementById("send");
  const counter = document.getElementById("counter");
  const status = document.getElementById("status");
  const clear = document.getElementById("clear");
  let busy = false;
  let messageCount = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Offsets from the server count Unicode code points (Python str); JS strings count UTF-16 units,
  // so slice an array of code points to stay right past any character outside the BMP.
  function styledText(text, ranges) {
    const chars = Array.from(text);
    const cuts = new Set([0, chars.length]);
    const clean = [];
    for (const r of ranges) {
      const start = Math.max(0, Math.min(chars.length, r.start | 0));
      const end = Math.max(start, Math.min(chars.length, r.end | 0));
      if (end > start) {
        clean.push({ start, end, cls: r.cls });
        cuts.add(start);
        cuts.add(end);
      }
    }
    const points = [...cuts].sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    for (let i = 0; i + 1 < points.length; i++) {
      const [a, b] = [points[i], points[i + 1]];
      const classes = new Set(clean.filter((r) => r.start <= a && r.end >= b).map((r) => r.cls));
      let node = document.createTextNode(chars.slice(a, b).join(""));
      if (classes.has("hl")) {
        const mark = el("mark");
        mark.appendChild(node);
        node = mark;
      }
      for (const cls of ["used", "here"]) {
        if (classes.has(cls)) {
          const span = el("span", cls);
          span.appendChild(node);
          node = span;
        }
      }
      frag.appendChild(node);
    }
    return frag;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  // After a reply the view rests on the question and its answer, not on the bottom of the last passage card.
  function showAnswer(msg) {
    const question = msg.previousElementSibling || msg;
    log.scrollTop = Math.max(0, question.offsetTop - log.offsetTop - 8);
  }

  // The confidence, calibrated on the server (about that share of such answers hold the fact), in words.
  function confidenceWords(confidence) {
    const c = Number(confidence);
    if (!Number.isFinite(c)) return null;
    if (c >= 0.7) return { text: "把握较大", cls: "high" };
    if (c >= 0.4) return { text: "有一定把握", cls: "medium" };
    return { text: "把握不大，请核对原文", cls: "low" };
  }

  function addMessage(role, className) {
    const msg = el("article", `msg ${role}${className ? " " + className : ""}`);
    log.appendChild(msg);
    scrollToEnd();
    return msg;
  }

  function errorText(body, statusCode) {
    if (body && typeof body.detail === "string") return body.detail;
    if (body && body.detail !== undefined) return JSON.stringify(body.detail);
    return `服务器返回 ${statusCode}`;
  }

  // The server's `detail` says exactly what was wrong (in English); the headline says it in Chinese.
  function errorTitle(statusCode) {
    if (statusCode === undefined) return "无法连接服务器";
    if (statusCode === 413) return "内容太长，服务器拒收";
    if (statusCode === 422 || statusCode === 400 || statusCode === 415) return "这个问题无法处理，请换个问法";
    if (statusCode === 503) return "索引暂不可用，请稍后再试";
    if (statusCode >= 500) return "服务器出错了，请稍后重试";
    return `请求失败（${statusCode}）`;
  }

  async function fetchJson(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch (err) {
      throw new Error("请检查服务是否在运行，然后重试。");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    if (!response.ok) {
      const error = new Error(errorText(body, response.status));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function citeLink(msgId, passage) {
    const link = el("a", "cite", `[${passage + 1}]`);
    link.href = `#${msgId}-p${passage + 1}`;
    link.title = `查看引用段落 ${passage + 1}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const card = document.getElementById(`${msgId}-p${passage + 1}`);
      if (!card) return;
      card.scrollIntoView({ behavior: "smooth", block: "center" });
      card.classList.remove("flash");
      void card.offsetWidth; // restart the animation
      card.classList.add("flash");
    });
    return link;
  }

  function renderAnswer(msgId, data) {
    const box = el("div", "answer");
    const words = data.found !== false && data.sentences && data.sentences.length
      ? confidenceWords(data.confidence) : null;
    if (words) {
      const badge = el("span", `confidence ${words.cls}`, words.text);
      badge.title = `置信度 ${Math.round(Number(data.confidence) * 100)}%`;
      box.appendChild(badge);
    }
    if (data.sentences && data.sentences.length) {
      data.sentences.forEach((s, i) => {
        box.appendChild(el("span", "sentence", s.text));
        // One marker per run of sentences from the same passage: [2] after three sentences, not [2][2][2].
        const next = data.sentences[i + 1];
        if (!next || next.passage !== s.passage) box.appendChild(citeLink(msgId, s.passage));
      });
    } else if (data.passages && data.passages.length) {
      box.classList.add("empty");
      box.textContent = "没有在档案中找到能直接回答的句子。以下是最相关的段落，供参考：";
    } else {
      box.classList.add("empty");
      box.textContent = "档案中没有找到相关内容，换个说法试试？";
    }
    return box;
  }

  function articleUrl(articleId) {
    return `api/articles/${encodeURIComponent(articleId)}`;
  }

  async function toggleArticle(card, passage, button) {
    let full = card.querySelector(".full");
    if (full) {
      const open = full.hidden;
      full.hidden = !open;
      button.textContent = open ? "收起全文" : "展开全文";
      button.setAttribute("aria-expanded", String(open));
      return;
    }
    full = el("div", "full", "正在载入全文…");
    card.appendChild(full);
    button.disabled = true;
    try {
      const article = await fetchJson(articleUrl(passage.article_id));
      full.textContent = "";
      if (article.summary) {
        const summary = el("p", "summary");
        summary.appendChild(el("strong", null, "摘要："));
        summary.appendChild(document.createTextNode(article.summary));
        full.appendChild(summary);
      }
      const body = el("div", "full-text");
      body.appendChild(styledText(article.text, [{ start: passage.start, end: passage.end, cls: "here" }]));
      full.appendChild(body);
      button.textContent = "收起全文";
      button.setAttribute("aria-expanded", "true");
    } catch (err) {
      full.remove();
      card.appendChild(el("p", "inline-error", `全文载入失败：${err.message}`));
    } finally {
      button.disabled = false;
    }
  }

  function renderPassage(msgId, passage, index, usedRanges) {
    const card = el("li", "passage");
    card.id = `${msgId}-p${index + 1}`;
    const head = el("div", "passage-head");
    head.appendChild(el("span", "num", index + 1));
    head.appendChild(el("span", "title", passage.title || "（无标题）"));
    card.appendChild(head);

    const meta = el("div", "meta");
    meta.appendChild(el("span", "date", passage.date || "日期不详"));
    const page = passage.page ? ` p. ${passage.page}` : ""; // PDF page the article starts on
    meta.appendChild(el("span", "source", (passage.source || passage.article_id) + page));
    card.appendChild(meta);

    const highlights = (passage.highlights || []).map(([start, end]) => ({ start, end, cls: "hl" }));
    const text = el("p", "passage-text");
    text.appendChild(styledText(passage.text, highlights.concat(usedRanges)));
    card.appendChild(text);

    const more = el("button", "more", "展开全文");
    more.type = "button";
    more.setAttribute("aria-expanded", "false");
    more.addEventListener("click", () => toggleArticle(card, passage, more));
    card.appendChild(more);
    return card;
  }

  function renderReply(msg, data) {
    const msgId = msg.id;
    msg.appendChild(renderAnswer(msgId, data));
    const passages = data.passages || [];
    const meta = el("div", "reply-meta", `用时 ${Math.round(data.took_ms)} ms · ${passages.length} 段引用`);
    msg.appendChild(meta);
    if (!passages.length) return;
    const list = el("ol", "passages");
    passages.forEach((passage, i) => {
      const used = (data.sentences || [])
        .filter((s) => s.passage === i && Number.isInteger(s.start))
        .map((s) => ({ start: s.start, end: s.end, cls: "used" }));
      list.appendChild(renderPassage(msgId, passage, i, used));
    });
    msg.appendChild(list);
  }

  async function ask(question) {
    if (busy) return;
    busy = true;
    send.disabled = true;
    if (intro) intro.hidden = true;
    addMessage("user").appendChild(el("p", "question", question));
    const msg = addMessage("bot", "pending");
    msg.id = `m${++messageCount}`;
    msg.appendChild(el("p", "loading", "正在检索并摘取答案…"));
    try {
      const data = await fetchJson("api/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question, top_k: TOP_K }),
      });
      msg.textContent = "";
      msg.classList.remove("pending");
      renderReply(msg, data);
      remember(question, data);
      showAnswer(msg);
    } catch (err) {
      msg.textContent = "";
      msg.classList.remove("pending");
      msg.classList.add("error");
      msg.appendChild(el("p", "error-title", errorTitle(err.status)));
      msg.appendChild(el("p", "error-text", err.message));
      const retry = el("button", "retry", "重试");
      retry.type = "button";
      retry.addEventListener("click", () => ask(question));
      msg.appendChild(retry);
      scrollToEnd();
    } finally {
      busy = false;
      send.disabled = false;
    }
  }

  // The conversation survives a reload of the tab (sessionStorage: gone when the tab closes).
  function loadHistory() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (err) {
      return [];
    }
  }

  function remember(question, data) {
    const history = loadHistory().concat([{ question, data }]).slice(-HISTORY_MAX);
    try {
      sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    } catch (err) {
      // Storage full or disabled: the conversation just won't survive a reload.
    }
  }

  function restoreHistory() {
    for (const { question, data } of loadHistory()) {
      if (typeof question !== "string" || !data || typeof data !== "object") continue;
      if (intro) intro.hidden = true;
      addMessage("user").appendChild(el("p", "question", question));
      const msg = addMessage("bot");
      msg.id = `m${++messageCount}`;
      renderReply(msg, data);
    }
  }

  function clearHistory() {
    sessionStorage.removeItem(HISTORY_KEY);
    for (const msg of log.querySelectorAll(".msg")) msg.remove();
    if (intro) intro.hidden = false;
    input.focus();
  }

  function resize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
    input.style.overflowY = input.scrollHeight > 160 ? "auto" : "hidden";
    counter.textContent = `${Array.from(input.value).length}/${MAX_CHARS}`;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    resize();
    ask(question);
  });

  input.addEventListener("keydown", (event) => {
    // isComposing: Enter that confirms a Chinese IME candidate must not send the question.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", resize);

  for (const button of document.querySelectorAll(".sample")) {
    button.addEventListener("click", () => ask(button.textContent));
  }

  fetchJson("healthz")
    .then((h) => {
      status.textContent = `已载入 ${h.articles} 篇文章`;
      status.title = `${h.chunks} 个段落 · 模型 ${h.model}`;
      status.classList.add("ok");
    })
    .catch((err) => {
      status.textContent = "服务不可用";
      status.title = err.message;
      status.classList.add("down");
    });

  clear.addEventListener("click", clearHistory);
  restoreHistory();
  resize();
  input.focus();
})();
