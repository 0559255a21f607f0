// The start page: copy buttons, a hint when the bookmarklet is clicked here
// instead of dragged, and the live status, long-polled from gdlogin.
"use strict";
(function () {
  gdlogin.wireCopyButtons();

  var bm = document.querySelector('[data-testid="bookmarklet"]');
  var notice = document.querySelector('[data-role="bookmarklet-notice"]');
  if (bm && notice) {
    bm.addEventListener("click", function (e) {
      e.preventDefault();
      notice.hidden = false;
      gdlogin.announce(notice.textContent);
    });
  }

  var holder = document.querySelector("[data-status-url]");
  if (!holder) return;
  var url = holder.getAttribute("data-status-url");
  var version = 0;
  var failures = 0;

  // The heading and the title follow the outcome, as on the callback
  // page: after a success the page no longer asks to log in.
  var heading = document.querySelector('[data-role="heading"]');
  function showOutcome(state) {
    if (!heading || state === "waiting") return;
    var org = heading.querySelector(".org");
    if (state === "success" && org) {
      heading.firstChild.nodeValue = "You are logged in to ";
    } else {
      heading.textContent = "The login did not finish";
    }
    document.title = heading.textContent + " · gdlogin";
  }

  function poll() {
    fetch(url + "&v=" + version, { cache: "no-store", credentials: "same-origin" })
      .then(function (res) {
        if (!res.ok) throw new Error("status " + res.status);
        return res.json();
      })
      .then(function (s) {
        failures = 0;
        version = s.version;
        gdlogin.setStatus(s.state, s.message, s.hint);
        showOutcome(s.state);
        if (s.state === "waiting") poll();
      })
      .catch(function () {
        failures++;
        if (failures > 3) {
          gdlogin.setStatus("error", "gdlogin is no longer running.", "The terminal shows how the login ended. Run gdlogin login again if you still need a token.");
          showOutcome("error");
          return;
        }
        setTimeout(poll, 1000 * failures);
      });
  }
  poll();
})();
