// gdlogin handoff, for organization pages that include it with <script src>
// (the emulator's home page does, for `gdlogin demo`).
//
// static.go passes the handoff function (handoff.min.js) in as the argument.
// This wrapper acts only when the page URL carries #gdlogin=, and then only
// after the user clicks its button: a page must never create a token on its
// own, whatever its URL says.
(handoff) => {
  const ask = (add, say) => {
    say(`the gdlogin login you started on your computer asks for a new API token for ${location.origin}. Send it only if you started one just now.`);
    const send = add("button", "Send a new API token to gdlogin");
    return new Promise((resolve) => {
      send.onclick = () => {
        send.remove();
        resolve();
      };
    });
  };
  const start = () => location.hash.startsWith("#gdlogin=") && handoff(undefined, ask);
  addEventListener("hashchange", start);
  if (document.readyState == "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}
