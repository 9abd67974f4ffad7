// commentguard review page. Vanilla JS, no dependencies.
// Every value from the API is written with textContent (never as HTML): comment text is
// untrusted input from the public.
"use strict";

(function () {
  const TOKEN_KEY = "commentguard.moderatorToken";
  const $ = (id) => document.getElementById(id);
  let cursor = null;

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  function say(text) {
    $("status").textContent = text;
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + token(), Accept: "application/json" };
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let json = null;
    try {
      json = await res.json();
    } catch (_) {
      json = null;
    }
    return { status: res.status, json };
  }

  function errorText(res) {
    const e = res.json && res.json.error;
    return e ? e.message + " (" + e.code + ")" : "HTTP " + res.status;
  }

  function formatScore(score) {
    if (!score) return "no score";
    let text = score.probability.toFixed(3);
    if (typeof score.hold === "number") text += " (hold at " + score.hold.toFixed(3) + ")";
    if (score.top_tokens && score.top_tokens.length) text += " · " + score.top_tokens.join(", ");
    return text;
  }

  function formatHistory(h) {
    if (!h) return "";
    return "by " + h.by + ": " + h.published + " published, " + h.rejected + " rejected, " +
      h.pending + " pending";
  }

  function render(item) {
    const node = $("item-template").content.firstElementChild.cloneNode(true);
    node.dataset.id = String(item.id);
    node.dataset.version = String(item.version);
    const q = (sel) => node.querySelector(sel);
    q(".site").textContent = item.site;
    const article = q(".article");
    article.textContent = item.article.id;
    const url = item.article.url;
    if (typeof url === "string" && /^https?:\/\//i.test(url)) article.href = url;
    q(".when").textContent = new Date(item.created_at).toLocaleString();
    q(".author-name").textContent = item.author.name;
    q(".author-email").textContent = item.author.email || "";
    q(".author-ip").textContent = item.author.client_ip;
    q(".author-history").textContent = formatHistory(item.author.history);
    q(".body").textContent = item.body;
    q(".score-spam").textContent = formatScore(item.scores.spam);
    q(".score-abuse").textContent = formatScore(item.scores.abuse);
    const reasons = q(".reasons");
    for (const r of item.reasons) {
      const li = document.createElement("li");
      li.textContent = r.code + " (" + r.outcome + ")" + (r.detail ? ": " + r.detail : "");
      reasons.appendChild(li);
    }
    q(".reports").textContent = item.report_count ? item.report_count + " reader report(s)" : "";
    for (const button of node.querySelectorAll(".actions button")) {
      button.addEventListener("click", () => decide(node, button));
    }
    return node;
  }

  async function decide(node, button) {
    const body = {
      decision: button.dataset.decision,
      version: Number(node.dataset.version),
    };
    if (button.dataset.label) body.label = button.dataset.label;
    const note = node.querySelector(".note").value.trim();
    if (note) body.note = note;
    const outcome = node.querySelector(".outcome");
    outcome.classList.remove("error");
    for (const b of node.querySelectorAll(".actions button")) b.disabled = true;
    const res = await api("POST", "/api/v1/review/" + node.dataset.id + "/decision", body);
    if (res.status === 200) {
      node.dataset.version = String(res.json.version);
      node.dataset.status = res.json.status;
      node.classList.add("decided");
      outcome.textContent = "Done: " + res.json.status + (res.json.changed ? "" : " (already)");
      say("Comment " + node.dataset.id + " is now " + res.json.status + ".");
      return;
    }
    for (const b of node.querySelectorAll(".actions button")) b.disabled = false;
    outcome.classList.add("error");
    if (res.status === 409 && res.json && res.json.current) {
      node.dataset.version = String(res.json.current.version);
      const who = res.json.current.last_decision ? " by " + res.json.current.last_decision.moderator : "";
      outcome.textContent = "Someone decided first" + who + ": now " + res.json.current.status +
        ". Decide again if you still disagree.";
    } else {
      outcome.textContent = errorText(res);
    }
    if (res.status === 401) say("Your token was refused; paste it again.");
  }

  async function load(append) {
    if (!token()) {
      say("Paste your moderator token to start.");
      return;
    }
    const params = new URLSearchParams({
      status: $("filter-status").value,
      order: $("filter-order").value,
      limit: "50",
    });
    if (append && cursor) params.set("cursor", cursor);
    say("Loading…");
    const res = await api("GET", "/api/v1/review?" + params.toString());
    if (res.status !== 200) {
      say("Could not load the queue: " + errorText(res));
      return;
    }
    const list = $("queue");
    if (!append) list.replaceChildren();
    for (const item of res.json.items) list.appendChild(render(item));
    cursor = res.json.next_cursor;
    $("more").hidden = !cursor;
    $("total").textContent = res.json.total + " comment(s) " + $("filter-status").value;
    say(res.json.items.length || append ? "Queue loaded." : "Nothing to review.");
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token").value.trim();
      $("token").value = "";
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      load(false);
    });
    $("token-forget").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      $("queue").replaceChildren();
      $("total").textContent = "";
      say("Token forgotten.");
    });
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      load(false);
    });
    $("more").addEventListener("click", () => load(true));
    if (token()) load(false);
  });
})();
