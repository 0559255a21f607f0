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
  // announce says text to screen readers through the page's polite live
  // region, without moving the focus.
  announce: function (text) {
    var region = document.querySelector('[data-role="announce"]');
    if (!region) return;
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  },
  // wireCopyButtons makes every button[data-copy] copy the text of the
  // element whose id it names, or the attribute that data-copy-attr names
  // (the bookmarklet's href). Where the clipboard is refused, it selects
  // the text for a manual copy.
  wireCopyButtons: function () {
    document.querySelectorAll("button[data-copy]").forEach(function (btn) {
      var label = btn.querySelector(".copy-label");
      var idle = label.textContent;
      var timer;
      btn.addEventListener("click", function () {
        var el = document.getElementById(btn.getAttribute("data-copy"));
        if (!el) return;
        var attr = btn.getAttribute("data-copy-attr");
        var text = attr ? el.getAttribute(attr) || "" : el.textContent.trim();
        var done = function (ok) {
          var said = ok ? "Copied" : attr ? "Not copied: right-click the gdlogin button, Copy link" : "Selected: press Ctrl+C (⌘+C) to copy";
          label.textContent = said;
          btn.toggleAttribute("data-copied", ok);
          gdlogin.announce(ok ? "Copied to the clipboard." : said + ".");
          clearTimeout(timer);
          timer = setTimeout(function () { label.textContent = idle; btn.removeAttribute("data-copied"); }, ok ? 2500 : 6000);
        };
        var manual = function () {
          if (!attr) select(el);
          done(false);
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(function () { done(true); }, manual);
        } else {
          manual();
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
