// Bulletin Watch review page: keyboard actions and text selection. No framework, no build
// step; every change is an ordinary form POST, so the page works without this script too.
"use strict";

(function () {
  function typing(event) {
    var t = event.target;
    if (!t) { return false; }
    if (t.isContentEditable || t.tagName === "SELECT" || t.tagName === "TEXTAREA") { return true; }
    return t.tagName === "INPUT" && !/^(hidden|submit|button|checkbox|radio)$/.test(t.type);
  }

  function toggleKeys() {
    var keys = document.getElementById("keys");
    if (keys) { keys.hidden = !keys.hidden; }
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-toggle-keys]")) { toggleKeys(); }
  });

  // -- the queue: j/k move, Enter/o open -------------------------------------------------
  function queueKeys(event) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tr.row"));
    if (!rows.length) { return false; }
    var at = rows.findIndex(function (r) { return r.classList.contains("focused"); });
    if (event.key === "j" || event.key === "k") {
      var next = Math.max(0, Math.min(rows.length - 1, at + (event.key === "j" ? 1 : -1)));
      if (at >= 0) { rows[at].classList.remove("focused"); }
      rows[next].classList.add("focused");
      rows[next].scrollIntoView({block: "nearest"});
      return true;
    }
    if ((event.key === "Enter" || event.key === "o") && at >= 0) {
      window.location.href = rows[at].dataset.href;
      return true;
    }
    return false;
  }

  // -- one article: items, decisions, selection ------------------------------------------
  function items() { return Array.prototype.slice.call(document.querySelectorAll("#items > li.item")); }
  function focused() { return document.querySelector("#items > li.item.focused"); }

  function focus(index) {
    var all = items();
    if (!all.length) { return; }
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (li) { li.classList.remove("focused"); });
    all[index].classList.add("focused");
    all[index].scrollIntoView({block: "nearest"});
    document.querySelectorAll("#text .seg.lit").forEach(function (s) { s.classList.remove("lit"); });
    document.querySelectorAll("#text .seg[data-items]").forEach(function (s) {
      if (s.dataset.items.split(" ").indexOf(String(index)) >= 0) { s.classList.add("lit"); }
    });
    document.querySelectorAll("input[name=at]").forEach(function (input) { input.value = String(index); });
  }

  function submit(form) {
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  // The character offset of a point of the selection in the article's text: every text
  // node sits in a span.seg whose data-o is where it starts.
  function offset(node, within) {
    var seg = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    seg = seg && seg.closest(".seg");
    if (!seg) { return null; }
    return Number(seg.dataset.o) + (node.nodeType === Node.TEXT_NODE ? within : 0);
  }

  function selectionSpan() {
    var sel = window.getSelection();
    var text = document.getElementById("text");
    if (!sel || sel.isCollapsed || !text || !text.contains(sel.anchorNode) || !text.contains(sel.focusNode)) {
      return null;
    }
    var a = offset(sel.anchorNode, sel.anchorOffset), b = offset(sel.focusNode, sel.focusOffset);
    if (a === null || b === null || a === b) { return null; }
    return {start: Math.min(a, b), end: Math.max(a, b), text: sel.toString()};
  }

  function fillSelection() {
    var span = selectionSpan();
    if (!span) { return; }
    document.querySelectorAll("[data-sel=start]").forEach(function (i) { i.value = span.start; });
    document.querySelectorAll("[data-sel=end]").forEach(function (i) { i.value = span.end; });
    document.querySelectorAll("[data-sel=note]").forEach(function (n) {
      n.textContent = "span " + span.start + "–" + span.end + ": “" + span.text.trim().slice(0, 80) + "”";
    });
    document.querySelectorAll("[data-sel=text]").forEach(function (i) { i.value = span.text.trim(); });
  }

  function articleKeys(event) {
    var li = focused(), all = items(), at = li ? all.indexOf(li) : -1;
    switch (event.key) {
      case "j": focus(at + 1); return true;
      case "k": focus(at - 1); return true;
      case " ":
        if (at < all.length - 1) { focus(at + 1); } else { var n = document.getElementById("next-article"); if (n) { n.click(); } }
        return true;
      case "a": if (li) { submit(li.querySelector("form[data-key-action=a]")); } return true;
      case "x": if (li) { submit(li.querySelector("form[data-key-action=x]")); } return true;
      case "e":
        var details = li && li.querySelector("details.edit");
        if (details) { details.open = true; var field = details.querySelector("input:not([type=hidden]), select"); if (field) { field.focus(); } }
        return true;
      case "n":
        var add = document.getElementById("add");
        if (add) { add.open = true; add.scrollIntoView({block: "nearest"}); var k = document.getElementById("add-kind"); if (k) { k.focus(); } }
        return true;
      case "u": submit(document.querySelector("form[data-key-action=u]")); return true;
      case "J": var next = document.getElementById("next-article"); if (next) { next.click(); } return true;
      case "K": window.location.href = document.querySelector("a.home").href; return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details[open]").forEach(function (d) { d.open = false; });
      if (document.activeElement) { document.activeElement.blur(); }
      return;
    }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "?") { toggleKeys(); event.preventDefault(); return; }
    var handled = document.body.classList.contains("queue-page") ? queueKeys(event) : articleKeys(event);
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var text = document.getElementById("text");
    if (text) {
      text.addEventListener("mouseup", fillSelection);
      text.addEventListener("keyup", fillSelection);
      document.addEventListener("selectionchange", function () { if (selectionSpan()) { fillSelection(); } });
      var li = focused();
      if (li) { focus(items().indexOf(li)); }
    }
    items().forEach(function (li, index) {
      li.addEventListener("click", function (event) { if (!event.target.closest("form, details")) { focus(index); } });
    });
    document.querySelectorAll("#queue tr.row").forEach(function (row) {
      row.addEventListener("dblclick", function () { window.location.href = row.dataset.href; });
    });
  });
})();
