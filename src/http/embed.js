// commentguard embed: comments under an article with one element and one script tag.
//
//   <div id="commentguard" data-site="dailynews" data-article="2024/05/budget"></div>
//   <script src="https://comments.example/embed.js" async></script>
//
// Plain JavaScript, no dependencies, no build step. It renders the article's published
// comments (replies nested under their parent, "show more" pages, the count) and a form
// (name, optional e-mail, comment, reply-to) that fetches a form token, leaves the
// honeypot empty and posts to the service with CORS. The form appears once the listing
// has said the article is open: on an article closed to new comments (a site rule) the
// thread stays and the form is replaced by a short "comments are closed" line.
//
// Security: every value from the service or the reader is put in the page with
// textContent or as an attribute value through the DOM API, never parsed as HTML. No
// inline script or style is created, so the page may keep a strict Content-Security-Policy
// that allows the service's origin for script-src, style-src and connect-src.
"use strict";

(function () {
  var script = document.currentScript;
  var SCRIPT_ORIGIN = script && script.src ? new URL(script.src, document.baseURI).origin : "";
  var TOKEN_MAX_AGE_MS = 12 * 3600 * 1000;

  var TEXT = {
    count: function (n) {
      return n === 1 ? "1 comment" : n + " comments";
    },
    loading: "Loading comments…",
    loadFailed: "The comments could not be loaded.",
    empty: "No comments yet. Be the first!",
    more: "Show more comments",
    reply: "Reply",
    replyingTo: "Replying to ",
    cancelReply: "Cancel reply",
    formTitle: "Leave a comment",
    name: "Name",
    email: "E-mail (optional, never shown)",
    body: "Comment",
    honeypot: "Leave this field empty",
    placeholderName: "Please enter your name here",
    placeholderBody: "Please enter your comment!",
    submit: "Post comment",
    sending: "Sending…",
    published: "Thank you! Your comment is published.",
    pending: "Thank you! Your comment is awaiting moderation.",
    duplicate: "You have already posted this comment.",
    nudge:
      "Your comment may come across as abusive, and abusive comments are held for our moderators. " +
      "Would you like to edit it before posting?",
    edit: "Edit my comment",
    postAnyway: "Post it as written",
    retry: function (s) {
      return " Please try again in " + s + " s.";
    },
    offline: "The comment service could not be reached. Your comment is still here: please try again.",
    removedParent: "in reply to a comment that was removed",
    closed: "Comments are closed for this article.",
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Only http(s) links from the service ever become an href.
  function safeHref(raw) {
    try {
      var url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function addStylesheet(api) {
    var href = api + "/embed.css";
    var links = document.querySelectorAll("link[rel=stylesheet]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].href === href) return;
    }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  function getJson(url) {
    return fetch(url, { mode: "cors", credentials: "omit", headers: { Accept: "application/json" } }).then(
      function (res) {
        return res.json().then(
          function (json) {
            return { status: res.status, json: json, headers: res.headers };
          },
          function () {
            return { status: res.status, json: null, headers: res.headers };
          }
        );
      }
    );
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().then(
        function (json) {
          return { status: res.status, json: json, headers: res.headers };
        },
        function () {
          return { status: res.status, json: null, headers: res.headers };
        }
      );
    });
  }

  function articleUrl(container) {
    var given = container.getAttribute("data-article-url");
    if (given && safeHref(given)) return given;
    var canonical = document.querySelector("link[rel=canonical]");
    if (canonical && safeHref(canonical.href)) return canonical.href;
    return location.origin + location.pathname;
  }

  // The article's headline, shown to moderators: data-article-title, else the page's
  // og:title, else its <title>; cut to the 300 characters the API takes.
  function articleTitle(container) {
    var og = document.querySelector("meta[property='og:title']");
    var title =
      container.getAttribute("data-article-title") ||
      (og && og.getAttribute("content")) ||
      document.title ||
      "";
    title = title.replace(/\s+/g, " ").trim();
    return title ? Array.from(title).slice(0, 300).join("") : null;
  }

  // ---------------------------------------------------------------------------------
  // One thread: a container element with data-site and data-article.

  function Thread(container) {
    this.container = container;
    this.api = (container.getAttribute("data-api") || SCRIPT_ORIGIN).replace(/\/+$/, "");
    this.site = container.getAttribute("data-site") || "";
    this.article = container.getAttribute("data-article") || "";
    this.pageSize = parseInt(container.getAttribute("data-page-size") || "50", 10) || 50;
    this.placeholderName = container.getAttribute("data-placeholder-name") || TEXT.placeholderName;
    this.placeholderBody = container.getAttribute("data-placeholder-body") || TEXT.placeholderBody;
    this.byId = {};
    this.cursor = null;
    this.shown = 0;
    this.total = null;
    this.parentId = null;
    this.token = null;
    this.tokenAt = 0;
    this.honeypotField = null;
    this.nudge = true;
    // Set once the service says the article takes no new comments.
    this.closed = false;
  }

  Thread.prototype.start = function () {
    addStylesheet(this.api);
    // Replace whatever the page put there for readers without JavaScript.
    while (this.container.firstChild) this.container.removeChild(this.container.firstChild);
    var root = el("section", "cg-root");
    root.setAttribute("aria-label", "Comments");
    this.countEl = el("h2", "cg-count", "");
    this.noticeEl = el("p", "cg-notice");
    this.noticeEl.setAttribute("role", "status");
    this.noticeEl.hidden = true;
    this.threadEl = el("ol", "cg-thread");
    this.statusEl = el("p", "cg-thread-status", TEXT.loading);
    this.moreEl = el("button", "cg-more", TEXT.more);
    this.moreEl.type = "button";
    this.moreEl.hidden = true;
    var self = this;
    this.moreEl.addEventListener("click", function () {
      self.loadPage();
    });
    root.appendChild(this.countEl);
    root.appendChild(this.noticeEl);
    root.appendChild(this.statusEl);
    root.appendChild(this.threadEl);
    root.appendChild(this.moreEl);
    this.closedEl = el("p", "cg-closed", TEXT.closed);
    this.closedEl.hidden = true;
    root.appendChild(this.closedEl);
    // Shown once the first page of the listing says the article is open (or could not
    // say: then posting is worth a try).
    this.formSlot = el("div", "cg-form-slot");
    this.formSlot.hidden = true;
    root.appendChild(this.formSlot);
    this.container.appendChild(root);
    this.root = root;
    this.buildForm();
    this.showReturnNotice();
    this.loadCount();
    this.loadPage();
    this.fetchToken();
  };

  Thread.prototype.listUrl = function () {
    var url =
      this.api +
      "/api/v1/sites/" +
      encodeURIComponent(this.site) +
      "/articles/" +
      encodeURIComponent(this.article) +
      "/comments?limit=" +
      this.pageSize;
    if (this.cursor) url += "&cursor=" + encodeURIComponent(this.cursor);
    return url;
  };

  Thread.prototype.loadCount = function () {
    var self = this;
    var url =
      this.api +
      "/api/v1/sites/" +
      encodeURIComponent(this.site) +
      "/articles/counts?ids=" +
      encodeURIComponent(this.article);
    return getJson(url).then(
      function (res) {
        if (res.status === 200 && res.json && res.json.counts) {
          self.setTotal(res.json.counts[self.article] || 0);
        }
      },
      function () {}
    );
  };

  Thread.prototype.setTotal = function (n) {
    this.total = n;
    this.countEl.textContent = TEXT.count(n);
  };

  Thread.prototype.loadPage = function () {
    var self = this;
    this.moreEl.disabled = true;
    return getJson(this.listUrl()).then(
      function (res) {
        self.moreEl.disabled = false;
        if (res.status !== 200 || !res.json) {
          self.statusEl.textContent = TEXT.loadFailed + " " + errorText(res);
          self.statusEl.hidden = false;
          self.offerForm();
          return;
        }
        if (res.json.closed === true) self.close();
        self.offerForm();
        var comments = res.json.comments || [];
        for (var i = 0; i < comments.length; i++) self.addComment(comments[i]);
        self.cursor = res.json.next_cursor || null;
        self.moreEl.hidden = !self.cursor;
        self.statusEl.hidden = self.shown > 0;
        self.statusEl.textContent = self.shown > 0 ? "" : TEXT.empty;
        if (self.total === null && !self.cursor) self.setTotal(self.shown);
        self.revealLinkedComment();
      },
      function () {
        self.moreEl.disabled = false;
        self.statusEl.textContent = TEXT.loadFailed;
        self.statusEl.hidden = false;
        self.offerForm();
      }
    );
  };

  // Shows the form, unless the article is closed.
  Thread.prototype.offerForm = function () {
    this.formSlot.hidden = this.closed;
  };

  // The article takes no new comments: the thread stays, the form and the reply buttons
  // go, and a line says so. A reader whose comment was just refused keeps the form and
  // their text (to copy), with the button disabled.
  Thread.prototype.close = function (keepText) {
    this.closed = true;
    this.closedEl.hidden = false;
    this.root.classList.add("cg-is-closed");
    var replies = this.threadEl.querySelectorAll(".cg-reply-button");
    for (var i = 0; i < replies.length; i++) replies[i].hidden = true;
    this.submitButton.disabled = true;
    if (!keepText) {
      this.replyTo(null);
      this.formSlot.hidden = true;
    }
  };

  // One comment as a list item; its replies go in its own list.
  Thread.prototype.renderComment = function (c) {
    var self = this;
    var li = el("li", "cg-comment");
    li.id = "comment-" + c.id;
    li.setAttribute("data-id", String(c.id));
    var article = el("article", "cg-comment-body");
    var meta = el("header", "cg-meta");
    var href = c.author_url ? safeHref(c.author_url) : null;
    var author;
    if (href) {
      author = el("a", "cg-author", c.author_name);
      author.href = href;
      author.rel = "nofollow ugc noopener noreferrer";
      author.target = "_blank";
    } else {
      author = el("span", "cg-author", c.author_name);
    }
    meta.appendChild(author);
    var when = new Date(c.created_at);
    var time = el("time", "cg-time", when.toLocaleString());
    time.dateTime = when.toISOString();
    meta.appendChild(time);
    article.appendChild(meta);
    article.appendChild(el("p", "cg-text", c.body));
    var actions = el("div", "cg-actions");
    var reply = el("button", "cg-reply-button", TEXT.reply);
    reply.type = "button";
    reply.hidden = this.closed;
    reply.addEventListener("click", function () {
      self.replyTo(c.id, c.author_name, li);
    });
    actions.appendChild(reply);
    article.appendChild(actions);
    li.appendChild(article);
    li.appendChild(el("ol", "cg-replies"));
    return li;
  };

  Thread.prototype.addComment = function (c) {
    if (this.byId[c.id]) return;
    var li = this.renderComment(c);
    var parent = c.parent_id ? this.byId[c.parent_id] : null;
    if (parent) {
      parent.querySelector(".cg-replies").appendChild(li);
    } else {
      if (c.parent_id) {
        // The parent was taken down after this reply was published.
        li.querySelector(".cg-meta").appendChild(el("span", "cg-orphan", TEXT.removedParent));
      }
      this.threadEl.appendChild(li);
    }
    this.byId[c.id] = li;
    this.shown += 1;
  };

  // After a plain form post the service sends the reader back with
  // ?commentguard=published|pending#comment-ID: say which, and show the comment.
  Thread.prototype.showReturnNotice = function () {
    var status = new URLSearchParams(location.search).get("commentguard");
    if (status === "published" || status === "pending") {
      this.noticeEl.textContent = status === "published" ? TEXT.published : TEXT.pending;
      this.noticeEl.className = "cg-notice cg-ok";
      this.noticeEl.hidden = false;
    }
  };

  Thread.prototype.revealLinkedComment = function () {
    var match = /^#comment-(\d+)$/.exec(location.hash);
    if (!match || this.revealed) return;
    var li = this.byId[match[1]];
    if (li) {
      this.revealed = true;
      li.classList.add("cg-linked");
      li.scrollIntoView();
    }
  };

  // ---------------------------------------------------------------------------------
  // The form.

  Thread.prototype.buildForm = function () {
    var self = this;
    var form = el("form", "cg-form");
    form.noValidate = true;
    form.appendChild(el("h3", "cg-form-title", TEXT.formTitle));

    var replying = el("p", "cg-replying");
    replying.hidden = true;
    replying.appendChild(document.createTextNode(TEXT.replyingTo));
    this.replyingName = el("strong", "cg-replying-name");
    replying.appendChild(this.replyingName);
    var cancel = el("button", "cg-cancel-reply", TEXT.cancelReply);
    cancel.type = "button";
    cancel.addEventListener("click", function () {
      self.replyTo(null);
    });
    replying.appendChild(document.createTextNode(" "));
    replying.appendChild(cancel);
    form.appendChild(replying);
    this.replyingEl = replying;

    // The honeypot: invisible to people (and to screen readers), left empty. Its name is
    // the site's, known once the form token arrives.
    this.honeypotWrap = el("div", "cg-hp");
    this.honeypotWrap.setAttribute("aria-hidden", "true");
    form.appendChild(this.honeypotWrap);

    function field(label, control) {
      var wrap = el("label", "cg-field");
      wrap.appendChild(el("span", "cg-label", label));
      wrap.appendChild(control);
      form.appendChild(wrap);
      return control;
    }
    this.nameInput = field(TEXT.name, el("input", "cg-input"));
    this.nameInput.name = "author_name";
    this.nameInput.required = true;
    this.nameInput.autocomplete = "name";
    this.nameInput.placeholder = this.placeholderName;
    this.emailInput = field(TEXT.email, el("input", "cg-input"));
    this.emailInput.name = "author_email";
    this.emailInput.type = "email";
    this.emailInput.autocomplete = "email";
    this.bodyInput = field(TEXT.body, el("textarea", "cg-input cg-textarea"));
    this.bodyInput.name = "body";
    this.bodyInput.required = true;
    this.bodyInput.rows = 5;
    this.bodyInput.placeholder = this.placeholderBody;

    var actions = el("div", "cg-form-actions");
    this.submitButton = el("button", "cg-submit", TEXT.submit);
    this.submitButton.type = "submit";
    actions.appendChild(this.submitButton);
    form.appendChild(actions);

    this.messageEl = el("p", "cg-message");
    this.messageEl.setAttribute("role", "status");
    this.messageEl.setAttribute("aria-live", "polite");
    form.appendChild(this.messageEl);

    var nudge = el("div", "cg-nudge");
    nudge.hidden = true;
    nudge.appendChild(el("p", "cg-nudge-text", TEXT.nudge));
    var edit = el("button", "cg-edit", TEXT.edit);
    edit.type = "button";
    edit.addEventListener("click", function () {
      self.nudgeEl.hidden = true;
      self.nudge = true;
      self.bodyInput.focus();
    });
    var anyway = el("button", "cg-post-anyway", TEXT.postAnyway);
    anyway.type = "button";
    anyway.addEventListener("click", function () {
      self.nudgeEl.hidden = true;
      self.nudge = false;
      self.submit();
    });
    nudge.appendChild(edit);
    nudge.appendChild(document.createTextNode(" "));
    nudge.appendChild(anyway);
    form.appendChild(nudge);
    this.nudgeEl = nudge;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.nudgeEl.hidden = true;
      self.submit();
    });
    this.bodyInput.addEventListener("input", function () {
      // Edited text deserves a fresh look from the abuse model.
      self.nudge = true;
    });
    this.form = form;
    this.formSlot.appendChild(form);
  };

  Thread.prototype.fetchToken = function () {
    var self = this;
    var url = this.api + "/api/v1/form-token";
    if (this.site) url += "?site=" + encodeURIComponent(this.site);
    return getJson(url).then(
      function (res) {
        if (res.status !== 200 || !res.json) return;
        self.token = res.json.token;
        self.tokenAt = Date.now();
        self.setHoneypot(res.json.honeypot_field);
      },
      function () {}
    );
  };

  Thread.prototype.setHoneypot = function (name) {
    if (!name || name === this.honeypotField) return;
    this.honeypotField = name;
    while (this.honeypotWrap.firstChild) this.honeypotWrap.removeChild(this.honeypotWrap.firstChild);
    var label = el("label", null, TEXT.honeypot);
    var input = el("input", "cg-hp-input");
    input.name = name;
    input.type = "text";
    input.tabIndex = -1;
    input.autocomplete = "off";
    input.value = "";
    label.appendChild(input);
    this.honeypotWrap.appendChild(label);
    this.honeypotInput = input;
  };

  // Moves the form under the comment being answered (or back to the end with null).
  Thread.prototype.replyTo = function (id, name, li) {
    this.parentId = id;
    if (id) {
      this.replyingName.textContent = name;
      this.replyingEl.hidden = false;
      li.querySelector(".cg-comment-body").appendChild(this.form);
      this.bodyInput.focus();
    } else {
      this.replyingEl.hidden = true;
      this.formSlot.appendChild(this.form);
    }
  };

  Thread.prototype.say = function (text, kind) {
    this.messageEl.textContent = text;
    this.messageEl.className = "cg-message" + (kind ? " cg-" + kind : "");
  };

  Thread.prototype.markInvalid = function (field) {
    var inputs = [this.nameInput, this.emailInput, this.bodyInput];
    var target = null;
    for (var i = 0; i < inputs.length; i++) {
      var bad = inputs[i].name === field;
      if (bad) {
        inputs[i].setAttribute("aria-invalid", "true");
        target = inputs[i];
      } else {
        inputs[i].removeAttribute("aria-invalid");
      }
    }
    if (target) target.focus();
  };

  Thread.prototype.submit = function () {
    var self = this;
    if (this.sending || this.closed) return;
    var ready = this.token && Date.now() - this.tokenAt < TOKEN_MAX_AGE_MS ? Promise.resolve() : this.fetchToken();
    this.sending = true;
    this.submitButton.disabled = true;
    this.say(TEXT.sending);
    ready
      .then(function () {
        var body = {
          article_id: self.article,
          article_url: articleUrl(self.container),
          author_name: self.nameInput.value,
          body: self.bodyInput.value,
          nudge: self.nudge,
        };
        if (self.site) body.site = self.site;
        var title = articleTitle(self.container);
        if (title) body.article_title = title;
        if (self.emailInput.value.trim()) body.author_email = self.emailInput.value;
        if (self.parentId) body.parent_id = self.parentId;
        if (self.token) body.form_token = self.token;
        if (self.honeypotInput) body[self.honeypotField] = self.honeypotInput.value;
        return postJson(self.api + "/api/v1/comments", body);
      })
      .then(
        function (res) {
          self.answered(res);
        },
        function () {
          self.say(TEXT.offline, "error");
        }
      )
      .then(function () {
        self.sending = false;
        self.submitButton.disabled = self.closed;
      });
  };

  Thread.prototype.answered = function (res) {
    var json = res.json || {};
    if (res.status === 201 || res.status === 202) {
      this.markInvalid(null);
      this.bodyInput.value = "";
      this.nudge = true;
      var parent = this.parentId;
      this.replyTo(null);
      if (json.status === "published") {
        this.say(TEXT.published, "ok");
        this.showOwn(json.id, parent);
      } else {
        this.say(TEXT.pending, "ok");
      }
      // A new token for the next comment: its timing starts now.
      this.fetchToken();
      return;
    }
    var error = json.error || {};
    if (error.code === "LIKELY_ABUSIVE") {
      this.say("");
      this.nudgeEl.hidden = false;
      return;
    }
    if (error.code === "DUPLICATE") {
      this.say(TEXT.duplicate, "error");
      return;
    }
    if (error.code === "ARTICLE_CLOSED") {
      // Closed while the reader was writing.
      this.close(true);
      this.say(TEXT.closed, "error");
      return;
    }
    var text = errorText(res);
    var retry = res.headers && res.headers.get("Retry-After");
    if ((res.status === 429 || res.status === 503) && retry) text += TEXT.retry(retry);
    this.say(text, "error");
    this.markInvalid(error.field);
  };

  // Shows the reader's own published comment as the service stored it.
  Thread.prototype.showOwn = function (id, parent) {
    var self = this;
    getJson(this.api + "/api/v1/comments/" + encodeURIComponent(id)).then(
      function (res) {
        if (res.status !== 200 || !res.json) return;
        var c = res.json;
        self.addComment({
          id: c.id,
          parent_id: c.parent_id || parent || null,
          author_name: c.author_name,
          author_url: c.author_url,
          body: c.body,
          created_at: c.created_at,
        });
        self.statusEl.hidden = true;
        if (self.total !== null) self.setTotal(self.total + 1);
      },
      function () {}
    );
  };

  function errorText(res) {
    var e = res.json && res.json.error;
    return e && e.message ? e.message.charAt(0).toUpperCase() + e.message.slice(1) + "." : "HTTP " + res.status;
  }

  // ---------------------------------------------------------------------------------
  // Counts for article lists: <a ... data-commentguard-count="2024/05/budget"
  // data-site="dailynews"></a> gets "12 comments".

  function fillCounts() {
    var nodes = document.querySelectorAll("[data-commentguard-count]");
    var bySite = {};
    for (var i = 0; i < nodes.length; i++) {
      var site = nodes[i].getAttribute("data-site") || "";
      (bySite[site] = bySite[site] || []).push(nodes[i]);
    }
    Object.keys(bySite).forEach(function (site) {
      var group = bySite[site];
      var api = (group[0].getAttribute("data-api") || SCRIPT_ORIGIN).replace(/\/+$/, "");
      var ids = [];
      group.forEach(function (n) {
        var id = n.getAttribute("data-commentguard-count");
        if (ids.indexOf(id) < 0) ids.push(id);
      });
      // The endpoint takes at most 100 ids, comma-separated.
      for (var start = 0; start < ids.length; start += 100) {
        var chunk = ids.slice(start, start + 100);
        var url =
          api + "/api/v1/sites/" + encodeURIComponent(site) + "/articles/counts?ids=" + encodeURIComponent(chunk.join(","));
        getJson(url).then(
          function (res) {
            if (res.status !== 200 || !res.json) return;
            group.forEach(function (n) {
              var id = n.getAttribute("data-commentguard-count");
              if (Object.prototype.hasOwnProperty.call(res.json.counts, id)) {
                n.textContent = TEXT.count(res.json.counts[id]);
              }
            });
          },
          function () {}
        );
      }
    });
  }

  function init() {
    var containers = document.querySelectorAll("#commentguard, [data-commentguard]");
    for (var i = 0; i < containers.length; i++) {
      if (containers[i].getAttribute("data-commentguard-started")) continue;
      containers[i].setAttribute("data-commentguard-started", "true");
      new Thread(containers[i]).start();
    }
    fillCounts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
