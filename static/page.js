// gdlogin handoff, for organization pages that include it with <script src>
// (the emulator's home page does, for `gdlogin demo`).
//
// static.go passes the handoff function (handoff.min.js) in as the argument.
// This wrapper acts only when the page URL carries #gdlogin=, and then only
// after the user clicks the panel's "Send a token to gdlogin" (ask = 1): a
// page must never create a token on its own, whatever its URL says, even
// for a gdlogin that this browser already trusts. The panel shows the
// confirmation code beside the button, so that one click both confirms the
// code and sends the token.
(handoff) => {
  const start = () => location.hash.startsWith("#gdlogin=") && handoff(undefined, 1);
  addEventListener("hashchange", start);
  if (document.readyState == "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}
