package handoff_test

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/handoff/handofftest"
	"github.com/gdlogin/gdlogin/static"
)

var update = flag.Bool("update", false, "regenerate testdata/webcrypto-vectors.json with headless Chromium")

const vectorsFile = "testdata/webcrypto-vectors.json"

// vector is one envelope sealed by the real handoff script with Chromium's
// WebCrypto, for a pairing that Go made, with what Go must open it to.
type vector struct {
	Name       string `json:"name"`
	PrivateKey string `json:"privateKey"` // gdlogin's P-256 scalar, base64url
	Pairing    string `json:"pairing"`    // the pairing code the script got
	Envelope   string `json:"envelope"`   // what the script sent, base64url
	Payload    struct {
		Token   string `json:"token"`
		TokenID string `json:"tokenId"`
		UserID  string `json:"userId"`
		Origin  string `json:"origin"`
		// Bookmark: the script ran as the bookmark.
		Bookmark bool `json:"bookmark,omitempty"`
	} `json:"payload"`
	// ConfirmationCode is the code the script showed (paste mode only).
	ConfirmationCode string `json:"confirmationCode,omitempty"`
}

func (v vector) want() handoff.Payload {
	return handoff.Payload{Token: v.Payload.Token, TokenID: v.Payload.TokenID, UserID: v.Payload.UserID, Origin: v.Payload.Origin, Bookmark: v.Payload.Bookmark}
}

// open rebuilds gdlogin's session from the vector and opens the envelope.
func (v vector) open(t *testing.T) handoff.Payload {
	t.Helper()
	p, err := handoff.DecodePairing(v.Pairing)
	if err != nil {
		t.Fatalf("%s: pairing: %v", v.Name, err)
	}
	key, err := base64.RawURLEncoding.DecodeString(v.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := handoff.SessionWithKey(p, key)
	if err != nil {
		t.Fatalf("%s: %v", v.Name, err)
	}
	if v.ConfirmationCode != "" && v.ConfirmationCode != s.ConfirmationCode() {
		t.Errorf("%s: the script showed confirmation code %s, Go computes %s", v.Name, v.ConfirmationCode, s.ConfirmationCode())
	}
	got, err := s.OpenText(v.Envelope)
	if err != nil {
		t.Fatalf("%s: Go cannot open the envelope WebCrypto sealed: %v", v.Name, err)
	}
	return got
}

// TestWebCryptoVectors opens the committed envelopes that Chromium's
// WebCrypto sealed through the real handoff script. No browser needed.
func TestWebCryptoVectors(t *testing.T) {
	data, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatalf("%v (generate with: go test ./internal/handoff -run TestWebCryptoInterop -update)", err)
	}
	var vectors []vector
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) < 5 {
		t.Fatalf("only %d vectors", len(vectors))
	}
	for _, v := range vectors {
		if got := v.open(t); got != v.want() {
			t.Errorf("%s: opened %v (token %.12q…), want %v", v.Name, got, got.Token, v.want())
		}
	}
	// A vector's envelope is bound to its own login.
	other := vectors[1]
	other.Envelope = vectors[0].Envelope
	p, _ := handoff.DecodePairing(other.Pairing)
	key, _ := base64.RawURLEncoding.DecodeString(other.PrivateKey)
	s, _ := handoff.SessionWithKey(p, key)
	if _, err := s.OpenText(other.Envelope); err == nil {
		t.Error("an envelope opened with another login's session")
	}
}

// interopCase is one run of the real script against the fake organization.
type interopCase struct {
	name    string
	org     handofftest.OrgOptions
	tokenID string
	paste   bool // port 0: read the envelope and code from the overlay
	viaURL  bool // run as the bookmarklet on #gdlogin=, not as the snippet
}

// TestWebCryptoInterop runs the shipped handoff script in headless Chromium:
// the script's own WebCrypto code seals a token for a pairing that Go made,
// and Go opens it. With -update it records the runs as the vectors above.
func TestWebCryptoInterop(t *testing.T) {
	cases := []interopCase{
		{name: "bookmarklet on #gdlogin=", tokenID: "gdlogin-laptop", viaURL: true},
		{name: "console snippet", tokenID: "gdlogin-snippet"},
		{name: "largest token", tokenID: "gdlogin-large", org: handofftest.OrgOptions{Token: strings.Repeat("dG9rZW4t", handoff.MaxTokenSize/8)}},
		{name: "non-ASCII user", tokenID: "gdlogin-utf8", org: handofftest.OrgOptions{UserID: "jöhn.doe", Name: "Jöhn Døe"}},
		{name: "suffixed id after a 409", tokenID: "gdlogin-taken", org: handofftest.OrgOptions{TakenIDs: []string{"gdlogin-taken"}}},
		{name: "legacy /api server", tokenID: "gdlogin-legacy", org: handofftest.OrgOptions{Legacy: true}},
		{name: "paste mode", tokenID: "gdlogin-remote", paste: true},
	}
	var vectors []vector
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vectors = append(vectors, runInterop(t, c))
		})
	}
	if *update && !t.Failed() {
		data, err := json.MarshalIndent(vectors, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d vectors to %s", len(vectors), vectorsFile)
	}
}

func runInterop(t *testing.T, c interopCase) vector {
	oo := c.org
	oo.Script = static.HandoffScript()
	org := handofftest.NewOrg(t, oo)
	gd := handofftest.NewListener(t)
	b := handofftest.NewBrowser(t, org.Host)
	b.Trust(org.URL, testInstallationKey.IDText()) // a returning user
	port := gd.Port
	if c.paste {
		port = 0
	}
	s, err := handoff.NewSession(port, c.tokenID, org.URL, testInstallationKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := vector{Name: c.name, PrivateKey: base64.RawURLEncoding.EncodeToString(s.PrivateKey()), Pairing: s.PairingCode()}

	if c.viaURL {
		b.Open(org.URL + "/#gdlogin=" + s.PairingCode())
		b.ClickBookmarklet(static.Bookmarklet())
	} else {
		b.Open(org.URL + "/")
		snippet, err := static.Snippet(s.PairingCode())
		if err != nil {
			t.Fatal(err)
		}
		b.Eval(snippet)
	}
	if c.paste {
		b.Status("only if your terminal shows this code")
		if v.Envelope, err = chromedp.Run(b.Ctx, chromedp.Value(chromedp.CSS(`[data-testid=gdlogin-envelope]`))); err != nil {
			t.Fatal(err)
		}
		if v.ConfirmationCode, err = chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(`[data-testid=gdlogin-code]`))); err != nil {
			t.Fatal(err)
		}
	} else {
		v.Envelope = handofftest.Fragment(t, b.WaitLocation(gd.URL+"/callback#"))
	}

	got, err := s.OpenText(v.Envelope)
	if err != nil {
		t.Fatalf("Go cannot open what WebCrypto sealed: %v", err)
	}
	v.Payload.Token, v.Payload.TokenID, v.Payload.UserID, v.Payload.Origin, v.Payload.Bookmark = got.Token, got.TokenID, got.UserID, got.Origin, got.Bookmark

	wantID := c.tokenID
	if len(c.org.TakenIDs) > 0 {
		if !regexp.MustCompile(`^` + c.tokenID + `-[0-9a-f]{4}$`).MatchString(got.TokenID) {
			t.Fatalf("token id %q after a 409", got.TokenID)
		}
		wantID = got.TokenID
	}
	// Only the bookmark says it ran as the bookmark; the snippet does not.
	want := handoff.Payload{Token: org.TokenFor(wantID), TokenID: wantID, UserID: "john.doe", Origin: org.URL, Bookmark: c.viaURL}
	if c.org.UserID != "" {
		want.UserID = c.org.UserID
	}
	if got != want {
		t.Fatalf("opened %v (token %.12q…), want %v", got, got.Token, want)
	}
	if c.paste && v.ConfirmationCode != s.ConfirmationCode() {
		t.Fatalf("the script shows confirmation code %q, Go %q", v.ConfirmationCode, s.ConfirmationCode())
	}
	return v
}

// TestPairingSignatureInWebCrypto: the signature Go makes (r || s, IEEE
// P1363) verifies with Chromium's WebCrypto, ECDSA P-256 SHA-256, over the
// text of SPEC 3.11 built from the pairing's own JSON values, as the
// handoff script builds it; and a change of any signed value breaks it.
func TestPairingSignatureInWebCrypto(t *testing.T) {
	org := handofftest.NewOrg(t, handofftest.OrgOptions{})
	b := handofftest.NewBrowser(t, org.Host)
	b.Open(org.URL + "/")
	s, err := handoff.NewSession(43117, "gdlogin-laptop", "https://analytics.example.com", testInstallationKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := s.Pairing().MarshalJSON()
	other, _ := handoff.NewInstallationKey(nil)
	p := s.Pairing()
	b64 := base64.RawURLEncoding.EncodeToString
	edits := map[string]func(map[string]any){
		"":        func(map[string]any) {},
		"v":       func(m map[string]any) { m["v"] = 2 },
		"port":    func(m map[string]any) { m["port"] = 43118 },
		"state":   func(m map[string]any) { st := p.State; st[0] ^= 1; m["state"] = b64(st[:]) },
		"pub":     func(m map[string]any) { m["pub"] = other.IDText() },
		"tokenId": func(m map[string]any) { m["tokenId"] = "gdlogin-laptop2" },
		"org":     func(m map[string]any) { m["org"] = "https://analytics.example.org" },
		"id":      func(m map[string]any) { m["id"] = other.IDText() },
		"sig":     func(m map[string]any) { sig := append([]byte(nil), p.Sig...); sig[63] ^= 1; m["sig"] = b64(sig) },
	}
	for field, edit := range edits {
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		edited, _ := json.Marshal(m)
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`(async (p) => {
			const bytes = (t) => Uint8Array.from(atob(t.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
			const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
			const key = await crypto.subtle.importKey("raw", bytes(p.id), alg, false, ["verify"]);
			const text = ["gdlogin pairing v1", p.v, p.port, p.state, p.pub, p.tokenId, p.org, p.id].join("|");
			return crypto.subtle.verify(alg, key, bytes(p.sig), new TextEncoder().encode(text));
		})(`+string(edited)+`)`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", field, err)
		}
		if want := field == ""; ok != want {
			t.Errorf("changed %q: WebCrypto verify = %v, want %v", field, ok, want)
		}
	}
}
