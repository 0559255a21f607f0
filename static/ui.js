// Shared by gdlogin's loopback pages (loaded before start.js / callback.js):
// the status panel and the copy buttons.
"use strict";
var gdlogin = {
  // setStatus updates [data-testid=status]: its data-state, message and hint.
  setStatus: function (state, message, hint) {
    var panel = document.querySelector('[data-testid="status"]');
    if (!panel) return;
    panel.setAttribute("data-state", state);
    panel.querySelector('[data-role="message"]').textContent = message || "";
    var h = panel.querySelector('[data-role="hint"]');
    h.textContent = hint || "";
    h.hidden = !hint;
  },
  // wireCopyButtons makes every button[data-copy] copy the text of the
  // element whose id it names.
  wireCopyButtons: function () {
    document.querySelectorAll("button[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var el = document.getElementById(btn.getAttribute("data-copy"));
        if (!el) return;
        var text = el.textContent.trim();
        var label = btn.querySelector(".copy-label");
        var done = function (ok) {
          label.textContent = ok ? "Copied" : "Select and copy";
          if (ok) btn.setAttribute("data-copied", "");
          setTimeout(function () { label.textContent = "Copy"; btn.removeAttribute("data-copied"); }, 2000);
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(function () { done(true); }, function () { select(el); done(false); });
        } else {
          select(el);
          done(false);
        }
      });
    });
    function select(el) {
      var range = document.createRange();
      range.selectNodeContents(el);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
  }
};
