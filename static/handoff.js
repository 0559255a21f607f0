// gdlogin handoff script (SPEC section 3.3).
//
// It runs in the organization's own origin, where the user's session cookie
// works: from the bookmarklet, pasted into the DevTools console, or included
// by an organization page with <script src>. It creates an API token with the
// session, encrypts it for the gdlogin that started the login, and hands it
// over with a top-level navigation to http://127.0.0.1:PORT/callback#ENVELOPE
// or, in paste mode (port 0), shows the envelope for the user to copy.
//
// The file is one function expression, wrapped by static.go:
//   - the bookmarklet calls it with no arguments;
//   - the console snippet passes the pairing code as a string literal;
//   - the page script (page.js) passes askFirst, an async function that
//     resolves only when the user clicks its button.
// What ships is handoff.min.js, made from this file by
// `go test ./static -run TestMinified -update`; a test keeps both in step.
//
// Rules for this code: validate the pairing before anything else and build
// the navigation URL only from validated values; build the DOM with
// createElement and textContent; style only through the CSSOM (the
// organization's CSP blocks style attributes and <style> elements); no eval.
// The bookmarklet carries all of this code and has a size budget
// (static_test.go), so messages are short.
async (embeddedPairing, askFirst) => {
  const doc = document;
  const subtle = crypto.subtle;
  const utf8 = new TextEncoder();
  const origin = location.origin;

  // The panel: fixed in a corner, in the user's own light or dark colours
  // (Canvas and CanvasText follow color-scheme), with a status line that
  // assistive technology announces, and a focusable close button.
  const panel = doc.createElement("div");
  panel.style.cssText =
    "position:fixed;z-index:2147483647;top:9px;right:9px;max-width:28em;padding:1em;font:16px sans-serif;" +
    "color-scheme:light dark;background:Canvas;color:CanvasText;border:2px solid";
  const add = (tag, text) => {
    const element = doc.createElement(tag);
    element.textContent = text;
    panel.append(element);
    return element;
  };
  const close = add("button", "Close");
  close.style.float = "right";
  close.onclick = () => panel.remove();
  const status = add("p");
  status.role = "status";
  const say = (text) => (status.textContent = "gdlogin: " + text);
  doc.body.append(panel);

  // base64url without padding (RFC 4648 section 5). Anything but a string of
  // that alphabet decodes to no bytes, which every length check refuses; a
  // length that base64 cannot have throws, and the caller catches it.
  const decode = (text) =>
    typeof text == "string" && /^[\w-]*$/.test(text)
      ? Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))
      : [];
  const encode = (bytes) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=/g, "");

  try {
    // 1. The pairing: from #gdlogin= (taken off the address bar at once), from
    // the console snippet, or typed in when single sign-on lost the fragment.
    let code = embeddedPairing;
    const hash = location.hash;
    if (hash.startsWith("#gdlogin=")) {
      history.replaceState(history.state, "", location.pathname + location.search);
      code ||= hash.slice(9);
    }
    code ||= prompt("gdlogin: paste the pairing code");

    // 2. Validate everything before using anything. Number.isInteger refuses
    // a "port" such as "1@evil.example", "80" or 1.5; the navigation URL
    // below is built from these checked values only.
    let pairing,
      state = [],
      pub = [];
    try {
      pairing = JSON.parse(new TextDecoder().decode(decode(code.trim())));
      state = decode(pairing.state);
      pub = decode(pairing.pub);
    } catch {}
    if (
      !(
        pairing &&
        Object.keys(pairing).length == 6 &&
        pairing.v === 1 &&
        Number.isInteger(pairing.port) &&
        pairing.port >= 0 &&
        pairing.port < 65536 &&
        state.length == 32 &&
        pub.length == 65 &&
        pub[0] == 4 &&
        typeof pairing.tokenId == "string" &&
        /^(?!\.)[\w.-]{1,255}$/.test(pairing.tokenId) &&
        typeof pairing.org == "string"
      )
    )
      throw "that is not a valid pairing code. Nothing was sent";
    if (pairing.org != origin) throw `this pairing is for ${pairing.org}, not ${origin}. Nothing was sent`;

    // Encryption for gdlogin: ECDH P-256 with its key, then HKDF-SHA256
    // (salt = the raw state, info = "gdlogin handoff v1") to an AES-256-GCM
    // key; WebCrypto appends the 16-byte tag to the ciphertext. The result is
    // the envelope, as base64url text.
    // The key agreement starts now and runs while the API calls below are on
    // the wire; only the encryption waits for the token.
    const curve = { name: "ECDH", namedCurve: "P-256" };
    const keys = (async () => {
      const own = await subtle.generateKey(curve, false, ["deriveBits"]);
      const secret = await subtle.deriveBits(
        { name: "ECDH", public: await subtle.importKey("raw", pub, curve, false, []) },
        own.privateKey,
        256,
      );
      return [
        await subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: state, info: utf8.encode("gdlogin handoff v1") },
          await subtle.importKey("raw", secret, "HKDF", false, ["deriveKey"]),
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt"],
        ),
        encode(await subtle.exportKey("raw", own.publicKey)),
      ];
    })();
    keys.catch(() => {}); // seal reports a failure; no unhandled rejection before it
    const seal = async (payload) => {
      const [key, epk] = await keys;
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ciphertext = await subtle.encrypt({ name: "AES-GCM", iv }, key, utf8.encode(JSON.stringify(payload)));
      return encode(utf8.encode(JSON.stringify({ v: 1, state: encode(state), epk, iv: encode(iv), ct: encode(ciphertext) })));
    };
    // A top-level navigation to gdlogin's loopback listener, built from
    // validated values only.
    const handOver = (envelope) => location.assign("http://127.0.0.1:" + pairing.port + "/callback#" + envelope);

    // 3. On an organization page that included this script: only on a click.
    await askFirst?.(add, say);

    // 4. Who am I, and may I create a token? A same-origin fetch sends the
    // session cookie; X-Requested-With makes a lost session a clean 401.
    // Servers older than GoodData.CN 2.0 answer 404 under /api/v1.
    // cache "no-store" keeps the answers, the new token among them, out of
    // the browser's disk cache (Firefox keeps POST answers there otherwise).
    let api = "/api/v1";
    const call = async (path, body) => {
      try {
        return await fetch(api + path, {
          method: body ? "POST" : "GET",
          cache: "no-store",
          headers: { "X-Requested-With": "XMLHttpRequest", ...(body && { "Content-Type": "application/vnd.gooddata.api+json" }) },
          body: body && JSON.stringify(body),
        });
      } catch (error) {
        throw `cannot reach ${origin} (${error.message})`;
      }
    };
    const failed = (response) => {
      const trace = response.headers.get("X-GDC-TRACE-ID");
      return `${origin} answered HTTP ${response.status}${trace ? ", trace id " + trace : ""}`;
    };
    say("checking who you are...");
    let response = await call("/profile");
    if (response.status == 404) {
      api = "/api";
      response = await call("/profile");
    }
    if (response.status == 401) throw "sign in to the organization first, then run gdlogin again";
    if (!response.ok) throw failed(response);
    const profile = await response.json();
    const userId = profile.userId;
    const who = profile.name ? `${profile.name} (${userId})` : userId;
    const denied = `${who} may not create API tokens: an admin must grant the SELF_CREATE_TOKEN permission`;
    // A missing permission does not go away by trying again: gdlogin hears
    // of it too (encrypted like a token), so the terminal ends with the
    // reason instead of waiting. Paste mode shows it here only.
    const deny = async () => {
      if (pairing.port) handOver(await seal({ error: denied, userId, origin }));
      throw denied;
    };
    const permissions = profile.permissions || [];
    if (!permissions.includes("MANAGE") && !permissions.includes("SELF_CREATE_TOKEN")) await deny();

    // 5. Create the token; an id that exists already gets one random suffix.
    say(`creating an API token for ${who}...`);
    let tokenId = pairing.tokenId;
    const create = () => call(`/entities/users/${encodeURIComponent(userId)}/apiTokens`, { data: { id: tokenId, type: "apiToken" } });
    response = await create();
    if (response.status == 409) {
      tokenId = tokenId.slice(0, 250) + "-" + crypto.randomUUID().slice(0, 4);
      response = await create();
    }
    if (response.status == 403) await deny();
    if (!response.ok) throw failed(response);
    const token = (await response.json()).data.attributes.bearerToken;

    const envelope = await seal({ token, tokenId, userId, origin });

    // 7. Hand it over: a top-level navigation to gdlogin's loopback listener,
    // or, in paste mode, the envelope to copy and the confirmation code that
    // gdlogin prints too: the first 6 base32 characters of SHA-256(pub‖state).
    if (pairing.port) {
      say("handing the token to gdlogin...");
      handOver(envelope);
    } else {
      const digest = new DataView(await subtle.digest("SHA-256", new Uint8Array([...pub, ...state]))).getUint32(0);
      let confirmation = "";
      for (let shift = 27; shift > 0; shift -= 5) confirmation += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(digest >>> shift) & 31];
      say(`token for ${who} ready. Paste this into gdlogin only if the terminal shows the same confirmation code:`);
      const shown = add("code", confirmation);
      shown.dataset.testid = "gdlogin-code";
      shown.style.fontSize = "2em";
      const text = add("textarea");
      text.dataset.testid = "gdlogin-envelope";
      text.readOnly = true;
      text.value = envelope;
      text.rows = 4;
      text.ariaLabel = "Encrypted token for gdlogin";
      text.style.width = "100%";
      const copy = add("button", "Copy");
      copy.onclick = () => navigator.clipboard.writeText(envelope).then(() => (copy.textContent = "Copied"), () => text.select());
    }
  } catch (error) {
    say(typeof error == "string" ? error : `failed (${error}); run gdlogin again`);
  }
}
