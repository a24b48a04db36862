// Live updates for a discussion page: new comments, edits, deletions, hidden comments, votes,
// stance counts and "people here now". Writes stay ordinary form posts.
(function () {
  "use strict";

  var root = document.querySelector("[data-discussion-id]");
  if (!root || !window.Civic) { return; }
  var discussionId = Number(root.dataset.discussionId);
  var abilities = (root.dataset.abilities || "").split(" ").filter(Boolean);
  var userId = root.dataset.userId || "";
  var isSubthread = root.hasAttribute("data-subthread");
  var list = root.querySelector("[data-comment-list]");
  var pending = [];
  var csrfTemplate = root.querySelector("template[data-csrf-token]");
  var csrf = csrfTemplate ? csrfTemplate.innerHTML.trim() : "";
  var MAX_LEVEL = 4;

  function t(key, n) {
    var raw = Civic.text(key) || "";
    return raw.replace("{n}", String(n));
  }

  function fragment(html) {
    var holder = document.createElement("ol");
    holder.innerHTML = html.trim();
    if (Civic.relativeTimes) { Civic.relativeTimes(holder); }
    return holder.firstElementChild;
  }

  // Comments pushed live are rendered for a generic reader: keep only what this reader may use.
  function adapt(item) {
    item.querySelectorAll("[data-needs]").forEach(function (el) {
      var needs = el.dataset.needs;
      var comment = el.closest("[data-comment-id]");
      var isAuthor = userId && comment && comment.dataset.authorId === userId;
      var allowed;
      if (needs === "author") { allowed = isAuthor; }
      else if (needs === "voter") { allowed = abilities.indexOf("voter") >= 0 && !isAuthor; }
      else if (needs === "reporter") { allowed = abilities.indexOf("reporter") >= 0 && !isAuthor; }
      else { allowed = abilities.indexOf(needs) >= 0; }
      if (!allowed) { el.remove(); } else { el.removeAttribute("data-needs"); }
    });
    item.querySelectorAll("input[data-csrf]").forEach(function (input) { input.value = csrf; });
    return item;
  }

  function findComment(id) { return document.getElementById("comment-" + id); }

  function setCounts(counts) {
    if (!counts) { return; }
    ["in_favour", "against", "neutral"].forEach(function (name) {
      root.querySelectorAll('[data-count="' + name + '"]').forEach(function (el) {
        el.textContent = Number(counts[name]).toLocaleString(document.documentElement.lang);
      });
    });
    root.querySelectorAll('[data-count="comments"]').forEach(function (el) {
      el.textContent = t(counts.comments === 1 ? "commentsOne" : "commentsMany", counts.comments);
    });
  }

  function showNewButton() {
    var bar = root.querySelector("[data-new-comments]");
    if (!bar) { return; }
    var button = bar.querySelector("[data-show-new]");
    button.textContent = t(pending.length === 1 ? "newCommentsOne" : "newCommentsMany", pending.length);
    bar.hidden = false;
  }

  function showPending() {
    var bar = root.querySelector("[data-new-comments]");
    var first = null;
    pending.slice().reverse().forEach(function (item) {
      if (findComment(item.dataset.commentId)) { return; }
      list.insertBefore(item, list.firstChild);
      first = item;
    });
    pending = [];
    if (bar) { bar.hidden = true; }
    var empty = root.querySelector("[data-no-comments]");
    if (empty) { empty.remove(); }
    if (first) {
      var heading = first.querySelector(".comment-card");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }

  function bumpNewReplies(ancestor) {
    var note = ancestor.querySelector(":scope > [data-new-replies]");
    if (!note) { return; }
    var count = Number(note.dataset.count || 0) + 1;
    note.dataset.count = String(count);
    note.querySelector("a").textContent = t(count === 1 ? "newRepliesOne" : "newRepliesMany", count);
    note.hidden = false;
  }

  function onPosted(data) {
    if (data.discussion_id !== discussionId || findComment(data.comment_id)) { return; }
    setCounts(data.counts);
    var item = adapt(fragment(data.html));
    if (!data.parent_id) {
      if (isSubthread) { return; }
      pending.push(item);
      showNewButton();
      Civic.announce(t(pending.length === 1 ? "newCommentsOne" : "newCommentsMany", pending.length));
      return;
    }
    var parent = findComment(data.parent_id);
    if (parent && Number(parent.dataset.level) < MAX_LEVEL) {
      var replies = parent.querySelector(":scope > ol.replies");
      if (!replies) {
        replies = document.createElement("ol");
        replies.className = "replies";
        var after = parent.querySelector(":scope > .reply-form") || parent.querySelector(":scope > article");
        after.insertAdjacentElement("afterend", replies);
      }
      item.dataset.level = String(Number(parent.dataset.level) + 1);
      item.className = item.className.replace(/level-\d+/, "level-" + item.dataset.level);
      replies.appendChild(item);
      Civic.announce(t("newReply", 1));
      return;
    }
    // A reply into a part of the thread that is not shown: count it on the nearest loaded comment.
    var ancestor = parent || findComment(data.root_id);
    if (ancestor) { bumpNewReplies(ancestor); }
  }

  function onChanged(data) {
    if (data.discussion_id !== discussionId) { return; }
    setCounts(data.counts);
    var existing = findComment(data.comment_id);
    if (!existing) { return; }
    var fresh = adapt(fragment(data.html));
    var oldCard = existing.querySelector(":scope > article");
    var newCard = fresh.querySelector(":scope > article");
    if (oldCard && newCard) { oldCard.replaceWith(newCard); }
  }

  function onVotes(data) {
    var existing = findComment(data.comment_id);
    if (!existing) { return; }
    existing.querySelectorAll(":scope > article [data-up]").forEach(function (el) { el.textContent = data.up; });
    existing.querySelectorAll(":scope > article [data-down]").forEach(function (el) { el.textContent = data.down; });
  }

  function onPresence(data) {
    if (data.kind !== "discussion" || data.id !== discussionId) { return; }
    root.querySelectorAll("[data-presence]").forEach(function (el) {
      el.textContent = t(data.count === 1 ? "presenceOne" : "presenceMany", data.count);
      el.hidden = false;
    });
  }

  function onLocked(data) {
    if (data.discussion_id !== discussionId) { return; }
    root.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.hidden = false;
      el.textContent = data.locked ? t("lockedNow", 0) + " " + data.reason : t("unlockedNow", 0);
    });
  }

  function onHidden(data) {
    if (data.discussion_id !== discussionId) { return; }
    var message = t(data.hidden ? "hiddenNow" : "shownNow", 0);
    root.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.hidden = false;
      el.textContent = message;
    });
    Civic.announce(message);
  }

  window.Civic.onLive(function (socket) {
    function join() {
      socket.emit("join", { kind: "discussion", id: discussionId }, function (answer) {
        if (answer && answer.ok && typeof answer.presence === "number") {
          onPresence({ kind: "discussion", id: discussionId, count: answer.presence });
        }
      });
    }
    socket.on("connect", join);
    if (socket.connected) { join(); }
    socket.on("comment_posted", onPosted);
    socket.on("comment_edited", onChanged);
    socket.on("comment_deleted", onChanged);
    socket.on("comment_hidden", onChanged);
    socket.on("comments_changed", function (data) {  // a moderator's bulk action: many at once
      data.changes.forEach(function (change) {
        onChanged({ discussion_id: data.discussion_id, comment_id: change.comment_id, html: change.html, counts: data.counts });
      });
    });
    socket.on("votes_changed", onVotes);
    socket.on("presence", onPresence);
    socket.on("discussion_locked", onLocked);
    socket.on("discussion_hidden", onHidden);
    window.setInterval(function () {
      socket.emit("still_here", { kind: "discussion", id: discussionId }, function (answer) {
        if (answer && answer.ok) { onPresence({ kind: "discussion", id: discussionId, count: answer.presence }); }
      });
    }, 25000);
  });

  var showNew = root.querySelector("[data-show-new]");
  if (showNew) { showNew.addEventListener("click", showPending); }

  // "Show more comments" appends the next page in place; without JS it is an ordinary link.
  root.addEventListener("click", function (event) {
    var link = event.target.closest("[data-show-more]");
    if (!link) { return; }
    event.preventDefault();
    var url = new URL(link.href);
    url.searchParams.set("partial", "1");
    var hasMore = true;
    fetch(url.toString(), { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { window.location.href = link.href; return null; }
      hasMore = response.headers.get("X-Has-More") === "1";
      return response.text();
    }).then(function (html) {
      if (html === null) { return; }
      var holder = document.createElement("ol");
      holder.innerHTML = html;
      if (Civic.relativeTimes) { Civic.relativeTimes(holder); }
      var firstNew = null;
      Array.prototype.slice.call(holder.children).forEach(function (item) {
        if (findComment(item.dataset.commentId)) { return; }
        list.appendChild(item);
        firstNew = firstNew || item;
      });
      var page = Number(url.searchParams.get("page") || "2");
      url.searchParams.delete("partial");
      url.searchParams.set("page", String(page + 1));
      if (!hasMore || !firstNew) { link.parentElement.remove(); }
      else { link.href = url.toString(); }
      if (firstNew) {
        var card = firstNew.querySelector(".comment-card");
        card.setAttribute("tabindex", "-1");
        card.focus();
      }
    });
  });
})();
