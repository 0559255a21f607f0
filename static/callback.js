// The callback page: it receives the encrypted envelope in its URL fragment,
// posts it to gdlogin on this same origin, removes the fragment from the
// address bar and history, and shows the outcome. It is inlined in the
// page's <head> (with the CSP nonce), so the post leaves before the rest of
// the page has loaded; the style sheet is requested only after it (a style
// sheet in <head> held the post back by milliseconds), and the page stays
// hidden until the styles are there.
//
// The post is the first thing this script does, even before the fragment
// leaves the address bar, in the same task a moment later: in a page that
// has just been created, the first history.replaceState can cost milliseconds,
// and the envelope is no more secret before the post than after it (it
// opens only with gdlogin's ephemeral key). Nothing else runs in between.
"use strict";
(function () {
  var fragment = location.hash.slice(1);
  // The envelope is base64url of ASCII JSON; anything else was damaged on
  // the way (a character that is not ASCII, or a length base64 cannot have).
  var text = "";
  try {
    var b64 = fragment.replace(/-/g, "+").replace(/_/g, "/");
    text = atob(b64 + "===".slice((b64.length + 3) % 4));
    if (/[^\x20-\x7e]/.test(text)) text = "";
  } catch (e) {
    // atob refused it: text stays empty.
  }
  var posted = text && fetch("/complete", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: text,
    cache: "no-store",
    credentials: "same-origin",
    redirect: "error"
  });
  history.replaceState(null, "", location.pathname);

  var ready = new Promise(function (resolve) {
    if (document.readyState !== "loading") resolve();
    else document.addEventListener("DOMContentLoaded", resolve);
  });
  function loadStyle() {
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "/static/app.css";
    var styled = new Promise(function (resolve) { css.onload = css.onerror = resolve; });
    document.head.appendChild(css);
    Promise.all([ready, styled]).then(function () {
      document.querySelector('[data-role="page"]').hidden = false;
    });
  }
  // The heading and the title follow the outcome, so that the tab says it
  // too when it is in the background.
  var headings = { success: "You are logged in", error: "The login did not finish" };
  function show(state, message, hint) {
    ready.then(function () {
      gdlogin.setStatus(state, message, hint);
      if (headings[state]) {
        document.querySelector('[data-role="heading"]').textContent = headings[state];
        document.title = headings[state] + " · gdlogin";
      }
      if (state === "success") document.querySelector('[data-role="after"]').hidden = false;
    });
  }

  if (!fragment) {
    loadStyle();
    show("error", "No token arrived with this page.",
      "Open this page only through the gdlogin bookmark or console snippet, on the organization's tab.");
    return;
  }
  if (!posted) {
    loadStyle();
    show("error", "The address of this page was damaged on the way.",
      "Run the gdlogin bookmark again on the organization's tab.");
    return;
  }
  loadStyle();
  show("waiting", "Checking the token with the organization…", "");
  posted
    .then(function (res) { return res.json(); })
    .then(function (s) { show(s.state, s.message, s.hint); })
    .catch(function () {
      show("error", "gdlogin did not answer.",
        "It may have stopped or timed out; the terminal shows why. Run gdlogin login again if you still need a token.");
    });
})();
