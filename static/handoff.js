// gdlogin handoff script (SPEC sections 3.3 and 3.11).
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
//   - the page script (page.js) passes ask = 1: the user must click the
//     panel's button even for a gdlogin this browser already trusts.
// What ships is handoff.min.js, made from this file by
// `go test ./static -run TestMinified -update`; a test keeps both in step.
//
// Trust (SPEC 3.11): every pairing is signed by a gdlogin installation key,
// whose public key is the pairing's id. A pairing from the URL fragment or
// from prompt() gets a token only if this organization's localStorage
// already lists its id under "gdlogin.trusted" (the user confirmed it once),
// or if the user now confirms the confirmation code that the terminal
// shows. Anyone can make a pairing; only the user's own gdlogin can sign
// one with a trusted id. The console snippet carries its pairing inline,
// copied by the user from gdlogin's own page, and goes straight on.
//
// Rules for this code: validate the pairing before anything else and build
// the navigation URL only from validated values; build the DOM with
// createElement and textContent; style only through the CSSOM (the
// organization's CSP blocks style attributes and <style> elements); no eval.
// The bookmarklet carries all of this code and has a size budget of 4 KB
// (static_test.go), and every space, brace, quote or ">" in it costs three
// bytes of percent-encoding: messages are short and code is shared.
async (embeddedPairing, ask) => {
  const doc = document;
  const loc = location;
  const webCrypto = crypto;
  const subtle = webCrypto.subtle;
  const utf8 = new TextEncoder();
  const json = JSON.stringify;
  const parse = JSON.parse;
  const bytes = Uint8Array;
  const origin = loc.origin;
  const sha = "SHA-256";
  const gdlogin = "gdlogin";
  const trustKey = gdlogin + ".trusted";
  const nothing = "; nothing sent";
  const only = " only if your terminal shows this code:";
  const selfCreate = "SELF_CREATE_TOKEN";
  // One algorithm object serves every P-256 call: WebCrypto reads only the
  // members that an operation defines.
  const curve = (name) => ({ name, namedCurve: "P-256", hash: sha });
  const importRaw = (key, algorithm, uses) => subtle.importKey("raw", key, algorithm, false, uses);

  // The panel: fixed in a corner, in the page's own light or dark colours
  // (Canvas and CanvasText), with a status line that assistive technology
  // announces, and a focusable Close button, which is also the way to say
  // no to the question below.
  // (add's fourth parameter is its local variable, never an argument: a
  // default value is shorter than a block with const and return.)
  const panel = doc.createElement("div");
  const add = (tag, text, testid, element = doc.createElement(tag)) => (
    (element.innerText = text), testid && (element.dataset.testid = gdlogin + "-" + testid), panel.append(element), element
  );

  const say = (text) => (status.innerText = gdlogin + ": " + text);

  // base64url without padding (RFC 4648 section 5). Anything but a string of
  // that alphabet decodes to "", which every length check and WebCrypto
  // refuse; a length that base64 cannot have throws, and the caller catches
  // it.
  const binary = (text) => atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  // (Only a string has a match method; JSON gives no other object one.)
  const decode = (text) => (text.match?.(/^[\w-]*$/) ? bytes.from(binary(text), (c) => c.charCodeAt()) : "");
  const encode = (data) => btoa(String.fromCharCode(...new bytes(data))).replace(/[+/=]/g, (c) => (c == "+" ? "-" : c == "/" ? "_" : ""));

  panel.style = "position:fixed;z-index:2147483647;top:0;right:0;padding:1em;background:Canvas;color:CanvasText;border:solid";
  add("button", "Close").onclick = () => panel.remove();
  const status = add("p", gdlogin);
  status.role = "status";
  doc.body.append(panel);

  try {
    // 1. The pairing: from #gdlogin= (taken off the address bar at once), from
    // the console snippet, or typed in when single sign-on lost the fragment.
    let code = embeddedPairing,
      hash = loc.hash,
      pairing,
      state,
      pub,
      valid,
      trusted = [],
      confirmation = "",
      api = "/api/v1",
      response,
      profile;
    if (hash.startsWith("#" + gdlogin + "=")) {
      history.replaceState(history.state, "", loc.pathname + loc.search);
      code ||= hash.slice(9);
    }
    // The prompt names where the code is: the start page, whose address
    // the terminal prints.
    code ||= prompt(gdlogin + " pairing code (start page):");

    // 2. Validate everything before using anything. (port & 65535) === port
    // holds for the integers 0..65535 only: it refuses a "port" such as
    // "1@evil.example", "80", 1.5 or -1. The navigation URL below is built
    // from these checked values only. The pairing must be signed by its id
    // (ECDSA P-256, SHA-256, r||s) over the text of SPEC 3.11: a missing or
    // bad signature makes it as malformed as a bad port. The pairing JSON is
    // ASCII, so atob's bytes are its characters.
    try {
      pairing = parse(binary(code.trim()));
      state = decode(pairing.state);
      pub = decode(pairing.pub);
      const ecdsa = curve("ECDSA");
      valid =
        Object.keys(pairing).length == 8 &&
        pairing.v === 1 &&
        (pairing.port & 65535) === pairing.port &&
        state.length == 32 &&
        pub.length == 65 &&
        pub[0] == 4 &&
        pairing.tokenId.match?.(/^(?!\.)[\w.-]{1,255}$/) &&
        (await subtle.verify(
          ecdsa,
          await importRaw(decode(pairing.id), ecdsa, ["verify"]),
          decode(pairing.sig),
          utf8.encode([gdlogin + " pairing v1", pairing.v, pairing.port, pairing.state, pairing.pub, pairing.tokenId, pairing.org, pairing.id].join("|")),
        ));
      // 3. Trust, read here, before any API call. The list in localStorage
      // may hold anything: whatever is not a JSON list counts as a list of
      // that one value, which is no id.
      trusted = [].concat(parse(localStorage[trustKey]));
    } catch {}
    if (!valid) throw "bad pairing code" + nothing;
    if (pairing.org !== origin) throw "pairing for " + pairing.org + ", not " + origin + nothing;

    // The confirmation code of SPEC 3.7: the first 6 base32 characters of
    // SHA-256(pub || state). The terminal prints it too. (The & 31 drops
    // whatever sign bits >> brings in; >>> would cost a byte more.)
    const digest = new DataView(await subtle.digest(sha, new bytes([...pub, ...state]))).getUint32();
    for (let shift = 27; shift > 0; shift -= 5) confirmation += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(digest >> shift) & 31];
    add("code", confirmation, "code").style.fontSize = "2em";

    // Encryption for gdlogin: ECDH P-256 with its key, then HKDF-SHA256
    // (salt = the raw state, info = "gdlogin handoff v1") to an AES-256-GCM
    // key; WebCrypto appends the 16-byte tag to the ciphertext. The result is
    // the envelope, as base64url text.
    // The key agreement starts now and runs while the user answers and the
    // API calls below are on the wire; only the encryption waits for the token.
    const ecdh = curve("ECDH"),
      gcm = { name: "AES-GCM", length: 256 },
      keys = subtle.generateKey(ecdh, false, ["deriveBits"]).then(async (own) => [
        await subtle.deriveKey(
          { name: "HKDF", hash: sha, salt: state, info: utf8.encode(gdlogin + " handoff v1") },
          await importRaw(await subtle.deriveBits(((ecdh.public = await importRaw(pub, ecdh, [])), ecdh), own.privateKey, 256), "HKDF", ["deriveKey"]),
          gcm,
          false,
          ["encrypt"],
        ),
        encode(await subtle.exportKey("raw", own.publicKey)),
      ]),
      seal = async (payload) => {
        const [key, epk] = await keys;
        gcm.iv = webCrypto.getRandomValues(new bytes(12));
        return encode(utf8.encode(json({ v: 1, state: encode(state), epk, iv: encode(gcm.iv), ct: encode(await subtle.encrypt(gcm, key, utf8.encode(json(payload)))) })));
      },
      // A top-level navigation to gdlogin's loopback listener, built from
      // validated values only.
      handOver = (envelope) => loc.assign("http://127.0.0.1:" + pairing.port + "/callback#" + envelope),
      // Same-origin fetches send the session cookie; X-Requested-With makes
      // a lost session a clean 401.
      call = (path, body) =>
        fetch(api + path, {
          method: body && "POST",
          // Keeps the answers, the new token among them, out of the disk
          // cache (Firefox keeps POST answers there otherwise).
          cache: "no-store",
          headers: { "X-Requested-With": "XMLHttpRequest", "Content-Type": "application/vnd.gooddata.api+json" },
          body,
        }).catch(() => {
          throw "cannot reach " + origin;
        }),
      failed = (trace = response.headers.get("X-GDC-TRACE-ID")) => origin + " answered HTTP " + response.status + (trace ? ", trace " + trace : "");

    // A known id goes straight on; an unknown one, or any pairing on a page
    // that included the script, waits for the user's click.
    const known = trusted.includes(pairing.id);
    if (ask || (!embeddedPairing && !known)) {
      say("send to port " + pairing.port + only);
      const send = add("button", "Send a token to " + gdlogin, "confirm");
      // Nothing leaves the page until the click; Close ends it here.
      await new Promise((resolve) => (send.onclick = resolve));
      send.remove();
      try {
        known || (localStorage[trustKey] = json([pairing.id, ...trusted]));
      } catch {}
    }

    // 4. Who am I, and may I create a token? Servers older than GoodData.CN
    // 2.0 answer 404 under /api/v1.
    response = await call("/profile");
    if (response.status == 404) {
      api = "/api";
      response = await call("/profile");
    }
    if (response.status == 401) throw "sign in first";
    if (!response.ok) throw failed();
    profile = await response.json();
    let userId = profile.userId,
      tokenId = pairing.tokenId,
      // bookmark says whether the script ran as the bookmark, which is when
      // neither argument is given: the console snippet passes its pairing,
      // page.js its ask. gdlogin then opens the organization straight away
      // for the next login of this profile (README, "A returning user").
      payload = { userId, origin, bookmark: embeddedPairing == ask },
      denied = (profile.name ? profile.name + " (" + userId + ")" : userId) + " lacks " + selfCreate;
    const create = () => call("/entities/users/" + encodeURIComponent(userId) + "/apiTokens", json({ data: { id: tokenId, type: "apiToken" } }));

    // 5. Create the token; an id that exists already gets one random suffix.
    // Without the permission (none in the profile, or a 403) the payload is
    // the reason instead: it does not go away by trying again, so gdlogin
    // hears of it too (encrypted like a token) and the terminal ends with it
    // instead of waiting. Paste mode shows it here only.
    if (profile.permissions?.some((p) => p == "MANAGE" || p == selfCreate)) {
      response = await create();
      if (response.status == 409) {
        tokenId = tokenId.slice(0, 250) + "-" + webCrypto.randomUUID().slice(0, 4);
        response = await create();
      }
      if (response.status != 403) {
        if (!response.ok) throw failed();
        payload.token = (await response.json()).data.attributes.bearerToken;
        payload.tokenId = tokenId;
      }
    }
    payload.token || (payload.error = denied);
    const envelope = await seal(payload);

    // 6. Hand it over: a top-level navigation to gdlogin's loopback listener,
    // or, in paste mode, the envelope to copy beside the confirmation code.
    // Copy selects it too: visible, and Ctrl+C works where the clipboard
    // API is denied.
    if (pairing.port) handOver(envelope);
    if (payload.error) throw denied;
    if (!pairing.port) {
      say("paste into " + gdlogin + only);
      const text = add("textarea", envelope, "envelope");
      text.readOnly = true;
      text.ariaLabel = "Envelope";
      add("button", "Copy").onclick = () => navigator.clipboard.writeText(envelope, text.select());
    }
  } catch (error) {
    say(error);
  }
}
