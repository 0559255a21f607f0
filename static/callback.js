// The callback page: it receives the encrypted envelope in its URL fragment,
// removes the fragment from the address bar and history at once, posts the
// envelope to gdlogin on this same origin, and shows the outcome.
"use strict";
(function () {
  var fragment = location.hash.slice(1);
  history.replaceState(null, "", location.pathname);

  if (!fragment) {
    gdlogin.setStatus("error", "No token arrived with this page.",
      "Open this page only through the gdlogin bookmark or console snippet, on the organization's tab.");
    return;
  }
  var text;
  try {
    var b64 = fragment.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    gdlogin.setStatus("error", "The address of this page was damaged on the way.",
      "Run the gdlogin bookmark again on the organization's tab.");
    return;
  }
  gdlogin.setStatus("waiting", "Checking the token with the organization…", "");
  fetch("/complete", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: text,
    cache: "no-store",
    credentials: "same-origin",
    redirect: "error"
  })
    .then(function (res) { return res.json(); })
    .then(function (s) {
      gdlogin.setStatus(s.state, s.message, s.hint);
      if (s.state === "success") document.querySelector('[data-role="after"]').hidden = false;
    })
    .catch(function () {
      gdlogin.setStatus("error", "gdlogin did not answer.",
        "It may have stopped or timed out; the terminal shows why. Run gdlogin login again if you still need a token.");
    });
})();
