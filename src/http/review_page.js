// commentguard review desk. Vanilla JS, no dependencies, no build step.
//
// Every value from the API is written with textContent or as a text node, never as HTML:
// comment text, names, titles, URLs, notes and report reasons are untrusted input from the
// public. Links are made only from http(s) URLs. The page signs in once (POST
// /api/v1/session) and then lives on an HttpOnly session cookie it never sees; it sends the
// session's CSRF token with every request that changes something.
"use strict";

(function () {
  const UNDO_MS = 15000; // the server allows 60 s; the page offers less, so offers hold
  const POLL_MS = 15000;
  const PAGE = 50;
  const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

  const $ = (id) => document.getElementById(id);
  const state = {
    me: null,
    csrf: "",
    byId: new Map(), // id -> the item as the API gave it
    cursor: null,
    total: null,
    undo: [], // {id, version, at}
    rules: null, // the settings' current answer
    newest: null, // the newest comment id matching the filter when the list loaded
  };

  // ---------------------------------------------------------------- helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function say(text, isError) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function when(ms) {
    return typeof ms === "number" ? new Date(ms).toLocaleString() : "";
  }

  function pct(p) {
    return typeof p === "number" ? (p * 100).toFixed(p < 0.1 ? 1 : 0) + "%" : "?";
  }

  // A link only for http(s) URLs; anything else (javascript:, data:) stays text.
  function safeHref(url) {
    if (typeof url !== "string") return null;
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function errorText(res) {
    const e = res.json && res.json.error;
    if (e) return e.message + " (" + e.code + ")";
    return res.status === 0 ? "the service did not answer" : "HTTP " + res.status;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, cache: "no-store", credentials: "same-origin" };
    if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (_) {
      return { status: 0, json: null };
    }
    let json = null;
    if (res.status !== 204) {
      try {
        json = await res.json();
      } catch (_) {
        json = null;
      }
    }
    if (res.status === 401 && state.me) signedOut("Your session has ended: sign in again.");
    return { status: res.status, json };
  }

  // ---------------------------------------------------------------- views

  function show(view) {
    for (const id of ["signin-view", "queue-view", "bans-view", "settings-view"]) {
      $(id).hidden = id !== view;
    }
    for (const tab of document.querySelectorAll(".tab")) {
      if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    if (view === "bans-view") loadBans();
    if (view === "settings-view") loadRules();
  }

  function signedIn(session) {
    state.me = session.moderator;
    state.csrf = session.csrf_token || "";
    $("me").textContent =
      "Signed in as " + state.me.name + (state.me.is_admin ? " (admin)" : "");
    $("nav").hidden = false;
    $("who").hidden = false;
    $("settings-tab").hidden = !state.me.is_admin;
    const siteSelect = $("filter-site");
    siteSelect.replaceChildren(el("option", null, "all my sites"));
    siteSelect.firstChild.value = "";
    const rulesSite = $("rules-site");
    rulesSite.replaceChildren();
    for (const site of state.me.sites) {
      const option = el("option", null, site);
      option.value = site;
      siteSelect.appendChild(option);
      rulesSite.appendChild(option.cloneNode(true));
    }
    readFiltersFromUrl();
    show("queue-view");
    load(false);
    refreshCounts();
  }

  function signedOut(message) {
    state.me = null;
    state.csrf = "";
    state.byId.clear();
    $("queue").replaceChildren();
    $("nav").hidden = true;
    $("who").hidden = true;
    show("signin-view");
    say(message || "Sign in with your moderator token.");
    $("token").focus();
  }

  // ---------------------------------------------------------------- filters

  const FILTERS = [
    ["status", "filter-status"],
    ["site", "filter-site"],
    ["reason", "filter-reason"],
    ["article_id", "filter-article"],
    ["q", "filter-q"],
    ["order", "filter-order"],
  ];

  function filterParams() {
    const params = new URLSearchParams();
    for (const [name, id] of FILTERS) {
      const value = $(id).value.trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  function readFiltersFromUrl() {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const [name, id] of FILTERS) {
      const value = params.get(name);
      if (value === null) continue;
      const input = $(id);
      if (input.tagName === "SELECT" && ![...input.options].some((o) => o.value === value)) {
        const option = el("option", null, value);
        option.value = value;
        input.appendChild(option);
      }
      input.value = value;
    }
  }

  function writeFiltersToUrl() {
    history.replaceState(null, "", "#" + filterParams().toString());
  }

  function setFilter(id, value) {
    const input = $(id);
    if (input.tagName === "SELECT" && ![...input.options].some((o) => o.value === value)) {
      const option = el("option", null, value);
      option.value = value;
      input.appendChild(option);
    }
    input.value = value;
    load(false);
  }

  // ---------------------------------------------------------------- counts

  // `polled`: called by the timer, not after one of the moderator's own actions (only
  // then does a higher total mean that comments arrived).
  async function refreshCounts(polled) {
    if (!state.me) return;
    const params = new URLSearchParams({ status: $("filter-status").value });
    const res = await api("GET", "/api/v1/review/counts?" + params.toString());
    if (res.status !== 200) return;
    const counts = res.json;
    const sites = $("site-counts");
    sites.replaceChildren();
    for (const s of counts.sites) {
      const button = el("button", "count", s.site + " " + s.count);
      button.type = "button";
      button.setAttribute("aria-pressed", String($("filter-site").value === s.site));
      button.addEventListener("click", () =>
        setFilter("filter-site", $("filter-site").value === s.site ? "" : s.site)
      );
      sites.appendChild(button);
    }
    const reasons = $("reason-counts");
    reasons.replaceChildren();
    const select = $("filter-reason");
    const chosen = select.value;
    select.replaceChildren(el("option", null, "any reason"));
    select.firstChild.value = "";
    for (const r of counts.reasons) {
      const button = el("button", "count", r.summary + " " + r.count);
      button.type = "button";
      button.title = r.code;
      button.dataset.code = r.code;
      button.setAttribute("aria-pressed", String(chosen === r.code));
      button.addEventListener("click", () =>
        setFilter("filter-reason", chosen === r.code ? "" : r.code)
      );
      reasons.appendChild(button);
      const option = el("option", null, r.summary + " (" + r.count + ")");
      option.value = r.code;
      select.appendChild(option);
    }
    if (chosen && ![...select.options].some((o) => o.value === chosen)) {
      const option = el("option", null, chosen + " (0)");
      option.value = chosen;
      select.appendChild(option);
    }
    select.value = chosen;
    await refreshTotal(polled === true);
  }

  // The total of the current filter, and whether comments arrived since the list loaded:
  // the newest matching comment is newer than the newest one seen then. (Not the total:
  // other moderators' decisions lower it while comments arrive.)
  async function refreshTotal(polled) {
    const params = filterParams();
    params.set("order", "newest");
    params.set("limit", "1");
    const res = await api("GET", "/api/v1/review?" + params.toString());
    if (res.status !== 200) return;
    state.total = res.json.total;
    showTotal();
    const newest = res.json.items.length ? res.json.items[0].id : 0;
    if (state.newest === null) state.newest = newest;
    if (polled && newest > state.newest) {
      state.newest = newest;
      $("new-arrivals").hidden = false;
    }
  }

  function showTotal() {
    const status = $("filter-status");
    const label = status.options[status.selectedIndex].textContent;
    $("total").textContent = state.total + " comment" + (state.total === 1 ? "" : "s") + " " + label;
  }

  // ---------------------------------------------------------------- the queue

  async function load(append) {
    if (!state.me) return;
    const params = filterParams();
    params.set("limit", String(PAGE));
    if (append && state.cursor) params.set("cursor", state.cursor);
    writeFiltersToUrl();
    say("Loading…");
    const res = await api("GET", "/api/v1/review?" + params.toString());
    if (res.status !== 200) {
      say("Could not load the queue: " + errorText(res), true);
      return;
    }
    const list = $("queue");
    if (!append) {
      list.replaceChildren();
      state.byId.clear();
      state.newest = null;
      $("new-arrivals").hidden = true;
      $("select-all").checked = false;
    }
    for (const item of res.json.items) {
      state.byId.set(item.id, item);
      list.appendChild(card(item));
    }
    state.cursor = res.json.next_cursor;
    state.total = res.json.total;
    $("more").hidden = !state.cursor;
    showTotal();
    updateSelection();
    say(list.children.length ? "" : "Nothing here: the queue is clear for this filter.");
    if (!append) {
      const first = nextUndecided(null);
      if (first) focusCard(first);
      refreshTotal(false);
    }
  }

  function highlight(target, body, scores) {
    const spans = [];
    for (const kind of ["spam", "abuse"]) {
      const score = scores && scores[kind];
      if (!score || !Array.isArray(score.spans)) continue;
      for (const s of score.spans) {
        if (
          Number.isInteger(s.start) && Number.isInteger(s.end) &&
          s.start >= 0 && s.start < s.end && s.end <= body.length
        ) {
          spans.push({ start: s.start, end: s.end, kind, token: String(s.token) });
        }
      }
    }
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    let at = 0;
    for (const s of spans) {
      if (s.start < at) continue; // overlapping: the first one wins
      if (s.start > at) target.appendChild(document.createTextNode(body.slice(at, s.start)));
      const mark = el("mark", "hl-" + s.kind, body.slice(s.start, s.end));
      mark.title = (s.kind === "spam" ? "pushed the spam score: " : "pushed the abuse score: ") + s.token;
      target.appendChild(mark);
      at = s.end;
    }
    if (at < body.length) target.appendChild(document.createTextNode(body.slice(at)));
  }

  function scoreLine(name, score) {
    const line = el("span");
    line.appendChild(el("span", "score-name", name + ": "));
    if (!score) {
      line.appendChild(document.createTextNode("not scored"));
      return line;
    }
    line.appendChild(document.createTextNode(pct(score.probability)));
    if (typeof score.hold === "number") {
      line.appendChild(document.createTextNode(" (held from " + pct(score.hold) + ")"));
      if (score.probability >= score.hold) line.classList.add("held");
    }
    if (Array.isArray(score.top_tokens) && score.top_tokens.length) {
      line.appendChild(document.createTextNode(" · " + score.top_tokens.join(", ")));
    }
    return line;
  }

  function historyText(h) {
    if (!h || h.by === "none") return "";
    const parts = [];
    if (h.published) parts.push(h.published + " published");
    if (h.pending) parts.push(h.pending + " waiting");
    if (h.rejected) parts.push(h.rejected + " rejected");
    if (h.reported) parts.push(h.reported + " reported");
    return parts.join(", ");
  }

  function card(item) {
    const node = $("card-template").content.firstElementChild.cloneNode(true);
    node.dataset.id = String(item.id);
    node.dataset.version = String(item.version);
    node.dataset.status = item.status;
    const q = (sel) => node.querySelector(sel);

    q(".site").textContent = item.site;
    const article = q(".article");
    article.textContent = item.article.title || item.article.id;
    article.title = "article " + item.article.id;
    const href = safeHref(item.article.url);
    if (href) article.href = href;
    q(".only-article").addEventListener("click", () => setFilter("filter-article", item.article.id));
    q(".when").textContent = when(item.created_at);

    const suspicious = [item.body, item.article.title, item.author.url, item.author.name]
      .some((t) => typeof t === "string" && BIDI.test(t));
    if (suspicious) {
      const warning = q(".warning");
      warning.textContent = "Contains invisible text-direction characters: the text may not read as it looks.";
      warning.hidden = false;
    }

    if (item.parent) {
      q(".parent").hidden = false;
      q(".parent-author").textContent = item.parent.author_name;
      q(".parent-status").textContent = "(" + item.parent.status + ")";
      q(".parent-body").textContent = item.parent.body;
    }

    const author = q(".author-open");
    author.textContent = item.author.name;
    author.addEventListener("click", () => openAuthor(item, false));
    q(".author-email").textContent = item.author.email || "";
    q(".author-ip").textContent = item.author.client_ip || "";
    if (item.author.user_agent) q(".author-ip").title = "browser: " + item.author.user_agent;
    // Shown as text only: a commenter's link is never followed from the desk.
    q(".author-url").textContent = item.author.url || "";
    q(".author-history").textContent = historyText(item.author.history);

    highlight(q(".body"), item.body, item.scores);
    const scores = q(".scores");
    scores.appendChild(scoreLine("Spam", item.scores.spam));
    scores.appendChild(scoreLine("Abuse", item.scores.abuse));

    const reasons = q(".reasons");
    for (const r of item.reasons) {
      const li = el("li", "reason-" + r.outcome, r.summary);
      li.dataset.code = r.code;
      if (r.detail) {
        li.appendChild(document.createTextNode(" — "));
        li.appendChild(el("span", "detail ugc", r.detail));
      }
      reasons.appendChild(li);
    }
    const reports = q(".reports");
    for (const report of item.reports || []) {
      const li = el("li", null, report.reason ? "Reader: “" + report.reason + "”" : "Reader report (no reason given)");
      li.appendChild(el("span", "when", " · " + when(report.at)));
      reports.appendChild(li);
    }

    for (const button of node.querySelectorAll(".actions button[data-decision]")) {
      button.addEventListener("click", () => decide(node, button.dataset.decision, button.dataset.label));
    }
    q(".ban").addEventListener("click", () => openAuthor(item, true));
    const close = q(".close-article");
    close.hidden = !state.me.is_admin;
    close.addEventListener("click", () => openClose(item.site, item.article.id));
    q(".undo").addEventListener("click", () => undo(node));
    q(".select").addEventListener("change", updateSelection);
    node.addEventListener("focus", () => node.scrollIntoView({ block: "nearest" }));
    if (item.status !== $("filter-status").value) node.classList.add("decided");
    return node;
  }

  // ---------------------------------------------------------------- focus and keys

  function cards() {
    return [...document.querySelectorAll("#queue > li.card")];
  }

  function focused() {
    const active = document.activeElement;
    return active ? active.closest && active.closest("#queue > li.card") : null;
  }

  function focusCard(node) {
    if (node) node.focus({ preventScroll: false });
  }

  function nextUndecided(after) {
    const all = cards();
    const start = after ? all.indexOf(after) + 1 : 0;
    for (let i = start; i < all.length; i++) if (!all[i].classList.contains("decided")) return all[i];
    for (let i = 0; i < start - 1; i++) if (!all[i].classList.contains("decided")) return all[i];
    return null;
  }

  function move(step) {
    const all = cards();
    if (!all.length) return;
    const at = all.indexOf(focused());
    const next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    focusCard(all[next]);
  }

  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.closest("textarea, select, [contenteditable]")) return true;
    const input = target.closest("input");
    return Boolean(input) && !["checkbox", "radio", "button", "submit"].includes(input.type);
  }

  document.addEventListener("keydown", (event) => {
    if (!state.me || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const view = !$("queue-view").hidden;
    const current = focused() || null;
    switch (event.key) {
      case "j":
        if (view) move(1);
        break;
      case "k":
        if (view) move(-1);
        break;
      case "a":
        if (view && current) decide(current, "approve");
        break;
      case "s":
        if (view && current) decide(current, "reject", "spam");
        break;
      case "x":
        if (view && current) decide(current, "reject", "abuse");
        break;
      case "u":
        undoLast();
        break;
      case "?":
        $("help-dialog").showModal();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // ---------------------------------------------------------------- decisions

  const VERBS = { approve: "Approved: published", spam: "Rejected as spam", abuse: "Rejected as abuse", other: "Rejected (other)" };

  function outcome(node, text, kind) {
    const box = node.querySelector(".outcome");
    box.classList.remove("error", "done");
    if (kind) box.classList.add(kind);
    node.querySelector(".outcome-text").textContent = text;
  }

  function setBusy(node, busy) {
    for (const b of node.querySelectorAll(".actions button")) b.disabled = busy;
    node.dataset.busy = busy ? "1" : "";
  }

  function applied(node, view, verb) {
    node.dataset.version = String(view.version);
    node.dataset.status = view.status;
    node.classList.add("decided");
    node.querySelector(".select").checked = false;
    outcome(node, (verb || "Done") + (view.changed === false ? " (it already was)" : "") + ".", "done");
    if (view.changed !== false) offerUndo(node, view.version);
  }

  function offerUndo(node, version) {
    const entry = { id: Number(node.dataset.id), version, at: Date.now() };
    state.undo.push(entry);
    const button = node.querySelector(".undo");
    button.hidden = false;
    setTimeout(() => {
      if (node.dataset.version === String(version)) button.hidden = true;
    }, UNDO_MS);
  }

  // The comment changed under the moderator: say what happened, plainly, and let them
  // decide again on the version they now see.
  function refused(node, res) {
    const current = res.json && res.json.current;
    if (current) {
      node.dataset.version = String(current.version);
      node.dataset.status = current.status;
      const last = current.last_decision;
      let text = res.json.error.code === "STALE_VERSION" ? "Someone decided first: " : "";
      if (last) {
        text += last.moderator + " " + (last.action === "approve" ? "approved" : last.action === "undo" ? "undid a decision on" : "rejected") +
          " it" + (last.label ? " as " + last.label : "") + " at " + new Date(last.at).toLocaleTimeString() + ". ";
      }
      text += "It is now " + current.status + ".";
      if (res.json.error.code === "STALE_VERSION") text += " Decide again if you still disagree.";
      else text += " " + res.json.error.message + ".";
      outcome(node, text, "error");
      node.classList.toggle("decided", current.status !== $("filter-status").value);
      refreshCounts();
    } else if (res.status === 404) {
      outcome(node, "This comment is gone, or not on your sites.", "error");
    } else {
      outcome(node, errorText(res), "error");
    }
  }

  async function decide(node, decision, label) {
    if (node.dataset.busy) return;
    const body = { decision, version: Number(node.dataset.version) };
    if (label) body.label = label;
    const note = node.querySelector(".note").value.trim();
    if (note) body.note = note;
    setBusy(node, true);
    outcome(node, "Saving…");
    const res = await api("POST", "/api/v1/review/" + node.dataset.id + "/decision", body);
    setBusy(node, false);
    if (res.status === 200) {
      applied(node, res.json, VERBS[label || decision]);
      say("Comment " + node.dataset.id + ": " + VERBS[label || decision].toLowerCase() + ".");
      if (focused() === node || !focused()) focusCard(nextUndecided(node));
      refreshCounts();
      return;
    }
    refused(node, res);
    focusCard(node);
  }

  async function undo(node) {
    const version = Number(node.dataset.version);
    const res = await api("POST", "/api/v1/review/" + node.dataset.id + "/undo", { version });
    if (res.status === 200) {
      node.dataset.version = String(res.json.version);
      node.dataset.status = res.json.status;
      node.classList.toggle("decided", res.json.status !== $("filter-status").value);
      node.querySelector(".undo").hidden = true;
      outcome(node, "Undone: it is " + res.json.status + " again.", "done");
      say("Comment " + node.dataset.id + " is " + res.json.status + " again.");
      focusCard(node);
      refreshCounts();
      return true;
    }
    refused(node, res);
    return false;
  }

  function undoLast() {
    const now = Date.now();
    while (state.undo.length) {
      const entry = state.undo.pop();
      if (now - entry.at > UNDO_MS) continue;
      const node = document.querySelector('#queue > li.card[data-id="' + entry.id + '"]');
      if (!node || node.dataset.version !== String(entry.version)) continue;
      undo(node);
      return;
    }
    say("Nothing to undo: decisions can be undone for " + UNDO_MS / 1000 + " seconds.");
  }

  // ---------------------------------------------------------------- bulk

  function selectedCards() {
    return cards().filter((node) => node.querySelector(".select").checked);
  }

  function updateSelection() {
    const n = selectedCards().length;
    $("selected-count").textContent = n ? n + " selected" : "none selected";
    for (const b of document.querySelectorAll("#bulk .bulk")) b.disabled = n === 0;
  }

  async function decideSelected(decision, label) {
    const chosen = selectedCards();
    if (!chosen.length) return;
    const decisions = chosen.map((node) => {
      const d = { id: Number(node.dataset.id), decision, version: Number(node.dataset.version) };
      if (label) d.label = label;
      return d;
    });
    for (const node of chosen) setBusy(node, true);
    say("Saving " + chosen.length + " decisions…");
    const res = await api("POST", "/api/v1/review/decisions", { decisions });
    for (const node of chosen) setBusy(node, false);
    if (res.status !== 200) {
      say("Nothing was decided: " + errorText(res), true);
      return;
    }
    res.json.results.forEach((result, i) => {
      const node = chosen[i];
      if (result.ok) applied(node, result, VERBS[label || decision]);
      else refused(node, { status: 409, json: { error: result.error, current: result.current } });
    });
    $("select-all").checked = false;
    updateSelection();
    say(res.json.applied + " decided" + (res.json.refused ? ", " + res.json.refused + " refused (see the comments)" : "") + ".");
    focusCard(nextUndecided(chosen[chosen.length - 1]));
    refreshCounts();
  }

  // ---------------------------------------------------------------- authors

  let authorItem = null;

  function authorQuery(item, by) {
    const params = new URLSearchParams({ site: item.site });
    if (by === "email" && item.author.email) params.set("author_email", item.author.email);
    else params.set("client_ip", item.author.client_ip);
    return params;
  }

  async function openAuthor(item, toBan) {
    authorItem = item;
    const dialog = $("author-dialog");
    $("author-title").textContent = item.author.name;
    const hasEmail = Boolean(item.author.email);
    $("ban-by-email").disabled = !hasEmail;
    $("ban-by-email").checked = hasEmail;
    $("ban-by-ip").checked = !hasEmail;
    $("ban-note").value = "";
    $("ban-reject").checked = false;
    $("ban-outcome").textContent = "";
    $("ban-outcome").classList.remove("error");
    if (!dialog.open) dialog.showModal();
    await refreshAuthor();
    if (toBan) $("ban-note").focus();
  }

  function banBy() {
    return $("ban-by-email").checked ? "email" : "ip";
  }

  async function refreshAuthor() {
    const item = authorItem;
    const by = banBy();
    $("author-ident").textContent = (by === "email" ? item.author.email : item.author.client_ip) + " on " + item.site;
    const res = await api("GET", "/api/v1/review/authors?" + authorQuery(item, by).toString());
    const list = $("author-comments");
    const bans = $("author-bans");
    list.replaceChildren();
    bans.replaceChildren();
    if (res.status !== 200) {
      $("author-history").textContent = "Could not load the author: " + errorText(res);
      return;
    }
    const view = res.json;
    $("author-history").textContent = historyText(view.history) || "No other comments.";
    for (const c of view.comments) {
      const li = el("li");
      li.appendChild(el("span", "muted", when(c.created_at) + " · " + c.status + " · " + (c.article_title || c.article_id)));
      li.appendChild(el("span", "ugc", c.body));
      list.appendChild(li);
    }
    const active = view.bans.filter((b) => b.active);
    if (!view.bans.length) bans.appendChild(el("li", "muted", "Never banned."));
    for (const b of view.bans) bans.appendChild(banLine(b, refreshAuthor));
    $("ban-submit").textContent = active.length ? "Ban again (replaces the ban in force)" : "Ban";
  }

  function banLine(b, after) {
    const li = el("li");
    let text = (b.active ? "Banned" : "Was banned") + " by " + (b.created_by || "?") + " on " + when(b.created_at) +
      (b.until ? " until " + when(b.until) : " until lifted");
    if (b.lifted_at) text += "; lifted by " + (b.lifted_by || "?") + " on " + when(b.lifted_at);
    li.appendChild(document.createTextNode(text));
    if (b.note) li.appendChild(el("span", "ugc", " — " + b.note));
    if (b.active) {
      const lift = el("button", null, "Lift ban");
      lift.type = "button";
      lift.addEventListener("click", async () => {
        const body = { site: b.site };
        if (b.author_email) body.author_email = b.author_email;
        else body.client_ip = b.client_ip;
        const res = await api("POST", "/api/v1/review/authors/unban", body);
        say(res.status === 200 ? "Ban lifted." : "Could not lift the ban: " + errorText(res), res.status !== 200);
        after();
      });
      li.appendChild(lift);
    }
    return li;
  }

  async function ban(event) {
    event.preventDefault();
    const item = authorItem;
    const by = banBy();
    const body = { site: item.site, reject_existing: $("ban-reject").checked };
    if (by === "email") body.author_email = item.author.email;
    else body.client_ip = item.author.client_ip;
    const days = $("ban-duration").value;
    if (days) body.until = new Date(Date.now() + Number(days) * 86400000).toISOString();
    const note = $("ban-note").value.trim();
    if (note) body.note = note;
    const res = await api("POST", "/api/v1/review/authors/ban", body);
    const out = $("ban-outcome");
    if (res.status !== 200) {
      out.textContent = "Not banned: " + errorText(res);
      out.classList.add("error");
      return;
    }
    out.classList.remove("error");
    out.textContent = "Banned" + (res.json.rejected.length ? "; " + res.json.rejected.length + " comment(s) rejected." : ".");
    for (const id of res.json.rejected) {
      const node = document.querySelector('#queue > li.card[data-id="' + id + '"]');
      if (node) {
        node.classList.add("decided");
        outcome(node, "Rejected: its author was banned.", "done");
      }
    }
    say("Author banned.");
    refreshAuthor();
    refreshCounts();
  }

  // ---------------------------------------------------------------- bans

  async function loadBans() {
    const params = new URLSearchParams();
    if ($("bans-all").checked) params.set("all", "true");
    const res = await api("GET", "/api/v1/review/authors/bans?" + params.toString());
    const body = $("bans").tBodies[0];
    body.replaceChildren();
    if (res.status !== 200) {
      say("Could not load the bans: " + errorText(res), true);
      return;
    }
    if (!res.json.bans.length) {
      const row = el("tr");
      const cell = el("td", "muted", "No bans.");
      cell.colSpan = 7;
      row.appendChild(cell);
      body.appendChild(row);
    }
    for (const b of res.json.bans) {
      const row = el("tr");
      row.appendChild(el("td", null, b.site));
      row.appendChild(el("td", "ugc", b.author_email || b.client_ip));
      row.appendChild(el("td", null, b.created_by || ""));
      row.appendChild(el("td", null, when(b.created_at)));
      row.appendChild(el("td", null, b.lifted_at ? "lifted " + when(b.lifted_at) : b.until ? when(b.until) : "until lifted"));
      row.appendChild(el("td", "ugc", b.note));
      const cell = el("td");
      if (b.active) {
        const lift = el("button", null, "Lift");
        lift.type = "button";
        lift.addEventListener("click", async () => {
          const body2 = { site: b.site };
          if (b.author_email) body2.author_email = b.author_email;
          else body2.client_ip = b.client_ip;
          const r = await api("POST", "/api/v1/review/authors/unban", body2);
          say(r.status === 200 ? "Ban lifted." : "Could not lift the ban: " + errorText(r), r.status !== 200);
          loadBans();
        });
        cell.appendChild(lift);
      }
      row.appendChild(cell);
      body.appendChild(row);
    }
  }

  // ---------------------------------------------------------------- settings

  const RULES = {
    blocklist_action: ["What a block-list match does", "action"],
    blocked_words: ["Blocked words and phrases", "list"],
    blocked_emails: ["Blocked e-mails (or @domain)", "list"],
    blocked_ips: ["Blocked internet addresses (or ranges)", "list"],
    premoderate: ["Check every comment of the site first", "bool"],
    premoderated_articles: ["Articles whose comments are all checked first", "list"],
    spam_review: ["Hold as spam from (0–1, blank: the model's)", "number"],
    spam_reject: ["Reject as spam from (0–1, blank: the model's)", "number"],
    abuse_review: ["Hold as abusive from (0–1, blank: the model's)", "number"],
    abuse_reject: ["Reject as abusive from (0–1, blank: never)", "number"],
    hold_budget: ["Share of ordinary comments the models may hold (0–1)", "number"],
    trusted_author_after: ["Trust authors after this many published comments (0: off)", "count"],
    trusted_authors: ["Trusted authors (e-mails)", "list"],
  };

  function openClose(site, article) {
    show("settings-view");
    $("rules-site").value = site;
    loadRules().then(() => {
      $("close-article").value = article;
      $("close-article").focus();
    });
  }

  async function loadRules() {
    const site = $("rules-site").value;
    if (!site) return;
    const res = await api("GET", "/api/v1/admin/sites/" + encodeURIComponent(site) + "/rules");
    if (res.status !== 200) {
      say("Could not load the rules: " + errorText(res), true);
      return;
    }
    renderRules(res.json);
  }

  function ruleValue(name) {
    const r = state.rules.rules.find((x) => x.rule === name);
    return r ? r.value : null;
  }

  function renderRules(view) {
    state.rules = view;
    const closed = $("closed-list");
    closed.replaceChildren();
    const closedArticles = ruleValue("closed_articles") || [];
    if (!closedArticles.length) closed.appendChild(el("li", "muted", "None."));
    for (const article of closedArticles) {
      const li = el("li");
      li.appendChild(el("span", "ugc", article));
      const reopen = el("button", null, "Reopen");
      reopen.type = "button";
      reopen.addEventListener("click", () => sendRules([{ rule: "closed_articles", remove: [article] }]));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(reopen);
      closed.appendChild(li);
    }
    const box = $("rules");
    box.replaceChildren();
    for (const r of view.rules) {
      const meta = RULES[r.rule];
      if (!meta) continue;
      const [label, kind] = meta;
      const row = el("div", "rule");
      row.dataset.rule = r.rule;
      const id = "rule-" + r.rule;
      const name = el("label", null, label);
      name.htmlFor = id;
      row.appendChild(name);
      let input;
      if (kind === "list") {
        input = el("textarea");
        input.value = (r.value || []).join("\n");
        input.placeholder = "one per line";
      } else if (kind === "bool") {
        input = el("input");
        input.type = "checkbox";
        input.checked = Boolean(r.value);
      } else if (kind === "action") {
        input = el("select");
        for (const [value, text] of [["pending", "hold for a moderator"], ["rejected", "reject"]]) {
          const option = el("option", null, text);
          option.value = value;
          input.appendChild(option);
        }
        input.value = r.value;
      } else {
        input = el("input");
        input.type = "number";
        input.min = "0";
        if (kind === "number") {
          input.max = "1";
          input.step = "0.01";
        } else {
          input.step = "1";
        }
        input.value = r.value === null ? "" : String(r.value);
      }
      input.id = id;
      input.dataset.kind = kind;
      row.appendChild(input);
      const source = el("div", "source");
      if (r.changed_by) {
        source.appendChild(document.createTextNode("changed by " + r.changed_by + " on " + when(r.changed_at)));
        const reset = el("button", null, "Back to the configuration file");
        reset.type = "button";
        reset.addEventListener("click", () => sendRules([{ rule: r.rule, reset: true }]));
        source.appendChild(reset);
      } else {
        source.appendChild(document.createTextNode("from the configuration file (" + r.config_key + ")"));
      }
      row.appendChild(source);
      box.appendChild(row);
    }
    const log = $("rule-log").tBodies[0];
    log.replaceChildren();
    for (const c of view.changes) {
      const row = el("tr");
      row.appendChild(el("td", null, when(c.at)));
      row.appendChild(el("td", null, c.moderator));
      row.appendChild(el("td", null, c.rule + (c.action === "reset" ? " (reset)" : "")));
      row.appendChild(el("td", "ugc", JSON.stringify(c.old_value)));
      row.appendChild(el("td", "ugc", JSON.stringify(c.new_value)));
      row.appendChild(el("td", "ugc", c.note));
      log.appendChild(row);
    }
  }

  function formValue(input) {
    switch (input.dataset.kind) {
      case "list":
        return input.value.split("\n").map((s) => s.trim()).filter(Boolean);
      case "bool":
        return input.checked;
      case "action":
        return input.value;
      case "number":
        return input.value.trim() === "" ? null : Number(input.value);
      default:
        return input.value.trim() === "" ? 0 : Number(input.value);
    }
  }

  async function sendRules(changes) {
    const site = $("rules-site").value;
    const body = { changes };
    const note = $("rules-note").value.trim();
    if (note) body.note = note;
    const res = await api("POST", "/api/v1/admin/sites/" + encodeURIComponent(site) + "/rules", body);
    const out = $("rules-outcome");
    for (const row of document.querySelectorAll(".rule.refused")) row.classList.remove("refused");
    if (res.status !== 200) {
      out.textContent = "Nothing was changed: " + errorText(res);
      out.classList.add("error");
      const field = res.json && res.json.error && res.json.error.field;
      const row = field && document.querySelector('.rule[data-rule="' + CSS.escape(field) + '"]');
      if (row) row.classList.add("refused");
      say(out.textContent, true);
      return false;
    }
    out.classList.remove("error");
    out.textContent = res.json.changes.length
      ? "Saved: " + res.json.changes.map((c) => c.rule).join(", ") + ". In force now."
      : "Nothing to change.";
    say(out.textContent);
    $("rules-note").value = "";
    // The answer lists this request's changes; the log shows the latest ones.
    await loadRules();
    return true;
  }

  async function saveRules(event) {
    event.preventDefault();
    const changes = [];
    for (const row of document.querySelectorAll("#rules .rule")) {
      const input = row.querySelector("input, textarea, select");
      const value = formValue(input);
      if (JSON.stringify(value) !== JSON.stringify(ruleValue(row.dataset.rule))) {
        changes.push({ rule: row.dataset.rule, set: value });
      }
    }
    if (!changes.length) {
      $("rules-outcome").textContent = "Nothing to change.";
      return;
    }
    await sendRules(changes);
  }

  async function closeArticle(event) {
    event.preventDefault();
    const article = $("close-article").value.trim();
    if (!article) return;
    if (await sendRules([{ rule: "closed_articles", add: [article] }])) {
      $("close-article").value = "";
      say("Article " + article + " is closed to new comments.");
    }
  }

  // ---------------------------------------------------------------- start

  document.addEventListener("DOMContentLoaded", async () => {
    $("signin-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      $("token").value = "";
      if (!token) return;
      say("Signing in…");
      const res = await api("POST", "/api/v1/session", { token });
      if (res.status === 200) {
        say("");
        signedIn(res.json);
      } else {
        say("Not signed in: " + errorText(res), true);
      }
    });
    $("sign-out").addEventListener("click", async () => {
      await api("DELETE", "/api/v1/session");
      signedOut("Signed out.");
    });
    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => show(tab.dataset.view));
    }
    $("help-open").addEventListener("click", () => $("help-dialog").showModal());
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      load(false);
      refreshCounts();
    });
    $("filter-status").addEventListener("change", () => {
      load(false);
      refreshCounts();
    });
    for (const id of ["filter-site", "filter-reason", "filter-order"]) {
      $(id).addEventListener("change", () => load(false));
    }
    $("clear-filters").addEventListener("click", () => {
      $("filter-status").value = "pending";
      $("filter-order").value = "uncertain";
      for (const id of ["filter-site", "filter-reason", "filter-article", "filter-q"]) $(id).value = "";
      load(false);
      refreshCounts();
    });
    $("more").addEventListener("click", () => load(true));
    $("new-arrivals").addEventListener("click", () => load(false));
    $("select-all").addEventListener("change", () => {
      for (const node of cards()) {
        if (!node.classList.contains("decided")) node.querySelector(".select").checked = $("select-all").checked;
      }
      updateSelection();
    });
    for (const button of document.querySelectorAll("#bulk .bulk")) {
      button.addEventListener("click", () => decideSelected(button.dataset.decision, button.dataset.label));
    }
    $("ban-form").addEventListener("submit", ban);
    $("ban-by-email").addEventListener("change", refreshAuthor);
    $("ban-by-ip").addEventListener("change", refreshAuthor);
    $("bans-all").addEventListener("change", loadBans);
    $("rules-site").addEventListener("change", loadRules);
    $("rules-form").addEventListener("submit", saveRules);
    $("close-form").addEventListener("submit", closeArticle);

    setInterval(() => {
      if (state.me && !document.hidden && !$("queue-view").hidden) refreshCounts(true);
    }, POLL_MS);

    const res = await api("GET", "/api/v1/session");
    if (res.status === 200) signedIn(res.json);
    else signedOut();
  });
})();
