// congvan: progressive enhancement. Every page works without this file; it adds
// span highlighting without a reload, tab switching, and drag-and-drop upload on the inbox page.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // --- document page: tabs and highlighted spans -----------------------------------------
  function showTab(name) {
    document.querySelectorAll(".tabs [data-tab]").forEach(function (t) {
      t.setAttribute("aria-selected", t.dataset.tab === name ? "true" : "false");
    });
    document.querySelectorAll(".pane[data-pane]").forEach(function (p) {
      p.hidden = p.dataset.pane !== name;
    });
  }

  function highlight(start, end) {
    var text = document.getElementById("doctext");
    if (!text) return false;
    showTab("text");
    var first = null;
    text.querySelectorAll("span[data-s]").forEach(function (s) {
      var a = +s.dataset.s, b = +s.dataset.e;
      var on = a >= start && b <= end && a < b;
      s.classList.toggle("hl", on);
      s.removeAttribute("id");
      if (on && !first) first = s;
    });
    if (first) {
      first.id = "hl";
      first.scrollIntoView({ block: "center", behavior: "smooth" });
    }
    return !!first;
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest(".span-link[data-span]");
    if (link) {
      var parts = link.dataset.span.split("-");
      if (highlight(+parts[0], +parts[1])) {
        ev.preventDefault();
        document.querySelectorAll(".span-link.active").forEach(function (l) { l.classList.remove("active"); });
        link.classList.add("active");
        var url = new URL(window.location.href);
        url.searchParams.set("hl", link.dataset.span);
        url.searchParams.delete("view");
        url.hash = "";
        history.replaceState(null, "", url);
      }
      return;
    }
    var tab = ev.target.closest && ev.target.closest(".tabs [data-tab]");
    if (tab) {
      ev.preventDefault();
      showTab(tab.dataset.tab);
    }
  });

  // --- inbox page: drag and drop, live lists ---------------------------------------------
  var lists = document.getElementById("inbox-lists");
  var pollUntil = 0;

  function refreshLists() {
    if (!lists) return;
    fetch("/inbox?fragment=lists", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var box = document.createElement("div");
        box.innerHTML = html; // our own server-rendered, escaped fragment
        var fresh = box.querySelector("#inbox-lists");
        if (fresh) {
          lists.replaceWith(fresh);
          lists = fresh;
        }
      })
      .catch(function () {});
  }

  function poll() {
    if (!lists) return;
    var pending = +(lists.dataset.pending || 0);
    if (pending > 0 || Date.now() < pollUntil) refreshLists();
    setTimeout(poll, 1500);
  }

  function upload(files) {
    var progress = document.getElementById("upload-progress");
    Array.prototype.forEach.call(files, function (file) {
      var li = document.createElement("li");
      li.textContent = "Đang gửi " + file.name + "…";
      progress.appendChild(li);
      var data = new FormData();
      data.append("files", file, file.name);
      fetch("/api/inbox", { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
        .then(function (res) {
          var b = res.body || {};
          if (b.accepted && b.accepted.length) {
            li.className = "ok";
            li.textContent = "Đã nhận " + b.accepted[0].name + " — đang chờ xử lý.";
          } else {
            li.className = "error";
            var reason = (b.refused && b.refused[0] && b.refused[0].reason) || b.error || ("lỗi " + res.status);
            li.textContent = "Không nhận " + file.name + ": " + reason;
          }
          pollUntil = Date.now() + 30000;
          refreshLists();
        })
        .catch(function () {
          li.className = "error";
          li.textContent = "Không gửi được " + file.name + " (mất kết nối?).";
        });
    });
  }

  var zone = document.getElementById("dropzone");
  if (zone) {
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function (ev) { ev.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (ev) {
      if (ev.dataTransfer && ev.dataTransfer.files.length) upload(ev.dataTransfer.files);
    });
  }
  if (lists) setTimeout(poll, 1500);
})();
