package static_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/handoff/handofftest"
	"github.com/gdlogin/gdlogin/internal/poll"
	"github.com/gdlogin/gdlogin/static"
)

// testInstallationKey signs the pairings of these tests, as gdlogin's own
// installation key does.
var testInstallationKey = func() *handoff.InstallationKey {
	k, err := handoff.NewInstallationKey(nil)
	if err != nil {
		panic(err)
	}
	return k
}()

// These tests run the shipped script in headless Chromium, on pages served
// under the organization's strict CSP from 127.0.0.1 (treated as a public
// site), against a fake organization API and a fake gdlogin listener.

// sendButton is the confirmation panel's button (SPEC 3.11).
const sendButton = `[data-testid=gdlogin-confirm]`

type rig struct {
	t   *testing.T
	org *handofftest.Org
	gd  *handofftest.Listener
	b   *handofftest.Browser
}

// newRig starts a fake organization, a fake gdlogin and a browser that
// already trusts testInstallationKey for the organization: a returning
// user, whose bookmark goes straight on. newFreshRig trusts nothing.
func newRig(t *testing.T, o handofftest.OrgOptions) *rig {
	t.Helper()
	r := newFreshRig(t, o)
	r.b.Trust(r.org.URL, testInstallationKey.IDText())
	return r
}

func newFreshRig(t *testing.T, o handofftest.OrgOptions) *rig {
	t.Helper()
	o.Script = static.HandoffScript()
	org := handofftest.NewOrg(t, o)
	return &rig{t: t, org: org, gd: handofftest.NewListener(t), b: handofftest.NewBrowser(t, org.Host)}
}

func (r *rig) session(port int, tokenID string) *handoff.Session {
	r.t.Helper()
	s, err := handoff.NewSession(port, tokenID, r.org.URL, testInstallationKey, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// openCallback waits for the navigation to gdlogin's listener and opens the
// envelope in its fragment.
func (r *rig) openCallback(s *handoff.Session) handoff.Payload {
	r.t.Helper()
	u := r.b.WaitLocation(r.gd.URL + "/callback#")
	p, err := s.OpenText(handofftest.Fragment(r.t, u))
	if err != nil {
		r.t.Fatalf("Go cannot open the envelope the script sent: %v", err)
	}
	return p
}

func (r *rig) checkPayload(p handoff.Payload, tokenID string) {
	r.t.Helper()
	if p.TokenID != tokenID || p.UserID != "john.doe" || p.Origin != r.org.URL || p.Token != r.org.TokenFor(tokenID) {
		r.t.Fatalf("payload %v (token %q), want token id %s for john.doe at %s", p, p.Token, tokenID, r.org.URL)
	}
}

// checkBookmark checks the payload's word on how the script ran: as the
// bookmark, or not (the console snippet, an organization page's script).
func (r *rig) checkBookmark(p handoff.Payload, want bool) {
	r.t.Helper()
	if p.Bookmark != want {
		r.t.Fatalf("payload says bookmark %t, want %t", p.Bookmark, want)
	}
}

// sent returns what the tab requested since mark, without the favicon that
// Chromium asks for on its own.
func (r *rig) sent(mark int) []string {
	var out []string
	for _, u := range r.b.Sent(mark) {
		if !strings.HasSuffix(u, "/favicon.ico") {
			out = append(out, u)
		}
	}
	return out
}

// assertNothingSent: no API call, nothing to gdlogin, no navigation and no
// other request since mark.
func (r *rig) assertNothingSent(mark int, where string) {
	r.t.Helper()
	// Anything the script might still send shows up in the window.
	poll.Never(r.t, func() string {
		switch {
		case len(r.org.APIRequests()) > 0:
			return fmt.Sprintf("the script called the API: %v", r.org.APIRequests())
		case len(r.gd.Requests()) > 0:
			return fmt.Sprintf("the script reached gdlogin's listener: %v", r.gd.Requests())
		case len(r.sent(mark)) > 0:
			return fmt.Sprintf("the tab sent requests: %q", r.sent(mark))
		}
		return ""
	})
	if loc := r.b.Location(); loc != where {
		r.t.Errorf("the tab is at %s, want %s", loc, where)
	}
}

func TestBookmarkletHappyPath(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	p := r.openCallback(s)
	r.checkPayload(p, "gdlogin-laptop")
	r.checkBookmark(p, true)

	api := r.org.APIRequests()
	if len(api) != 2 {
		t.Fatalf("API requests %v, want the profile and one creation", api)
	}
	if p := api[0]; p.Method != "GET" || p.Path != "/api/v1/profile" || p.XRequestedWith != "XMLHttpRequest" {
		t.Errorf("profile request %+v", p)
	}
	if c := api[1]; c.Method != "POST" || c.Path != "/api/v1/entities/users/john.doe/apiTokens" ||
		c.ContentType != "application/vnd.gooddata.api+json" || c.XRequestedWith != "XMLHttpRequest" ||
		c.Body != `{"data":{"id":"gdlogin-laptop","type":"apiToken"}}` {
		t.Errorf("creation request %+v", c)
	}
	if got := r.gd.Requests(); len(got) < 1 || got[0].Path != "/callback" || len(got) > 1 && got[1].Path != "/favicon.ico" {
		t.Errorf("gdlogin's listener got %v, want one GET /callback with nothing in the URL it sees", got)
	}
}

func TestSnippetHappyPath(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	s := r.session(r.gd.Port, "gdlogin-snippet")
	r.b.Open(r.org.URL + "/dashboards")
	snippet, err := static.Snippet(s.PairingCode())
	if err != nil {
		t.Fatal(err)
	}
	r.b.Eval(snippet)
	p := r.openCallback(s)
	r.checkPayload(p, "gdlogin-snippet")
	r.checkBookmark(p, false)
}

// TestSnippetWinsOverFragment: the pairing pasted on purpose is used, and a
// stale #gdlogin= is removed all the same.
func TestSnippetWinsOverFragment(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	stale := r.session(r.gd.Port, "stale")
	s := r.session(r.gd.Port, "fresh")
	r.b.Open(r.org.URL + "/#gdlogin=" + stale.PairingCode())
	snippet, _ := static.Snippet(s.PairingCode())
	r.b.Eval(snippet)
	r.checkPayload(r.openCallback(s), "fresh")
}

func TestIncludedScriptActsOnlyOnClick(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	s := r.session(r.gd.Port, "gdlogin-demo")
	r.b.Open(r.org.URL + "/included#gdlogin=" + s.PairingCode())
	if code := r.b.WaitConfirmation(); code != s.ConfirmationCode() {
		t.Errorf("panel shows code %q, gdlogin %q", code, s.ConfirmationCode())
	}
	r.b.Status(fmt.Sprintf("send to port %d only if your terminal shows this code:", r.gd.Port))
	poll.Never(t, func() string {
		if api := r.org.APIRequests(); len(api) > 0 {
			return fmt.Sprintf("the page called the API before the click: %v", api)
		}
		return ""
	})
	if loc := r.b.Location(); loc != r.org.URL+"/included" {
		t.Errorf("the pairing is still in the address bar: %s", loc)
	}
	r.b.Confirm()
	p := r.openCallback(s)
	r.checkPayload(p, "gdlogin-demo")
	r.checkBookmark(p, false)
}

func TestIncludedScriptIgnoresPagesWithoutPairing(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	r.b.Open(r.org.URL + "/included#section-2")
	mark := r.b.Mark()
	// The page's script has run once the document has loaded (Open waits
	// for that); a panel it would show appears within the window.
	poll.Never(t, func() string {
		if n, err := chromedp.Run(r.b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('[role=status]').length`)); err != nil || n != 0 {
			return fmt.Sprintf("a panel appeared (%d, %v)", n, err)
		}
		return ""
	})
	r.assertNothingSent(mark, r.org.URL+"/included#section-2")
}

// hostile returns a pairing code for JSON that a test edits by hand.
func hostile(json string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(json))
}

// jsString is String(JSON.parse(raw)) for the simple values of these
// tests: a string, a number, null, or a list of one of those.
func jsString(t *testing.T, raw string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return raw // not JSON: the script never gets as far as the signature
	}
	if l, ok := v.([]any); ok && len(l) == 1 {
		return jsString(t, strings.TrimSuffix(strings.TrimPrefix(raw, "["), "]"))
	}
	if str, ok := v.(string); ok {
		return str
	}
	return raw
}

// signedHostile builds a pairing of eight fields from raw JSON values and
// signs it with key over the text that the script verifies (SPEC 3.11):
// an attacker signs his own pairings, so every other check must hold on
// its own.
func signedHostile(t *testing.T, key *handoff.InstallationKey, v, port, state, pub, tokenID, org string) string {
	t.Helper()
	text := strings.Join([]string{"gdlogin pairing v1", jsString(t, v), jsString(t, port), jsString(t, state), jsString(t, pub), jsString(t, tokenID), jsString(t, org), key.IDText()}, "|")
	sig, err := key.SignText(text)
	if err != nil {
		t.Fatal(err)
	}
	return hostile(fmt.Sprintf(`{"v":%s,"port":%s,"state":%s,"pub":%s,"tokenId":%s,"org":%s,"id":%q,"sig":%q}`,
		v, port, state, pub, tokenID, org, key.IDText(), base64.RawURLEncoding.EncodeToString(sig)))
}

// TestHostilePairingsSendNothing: a pairing that fails any check stops the
// script before any request, with a message, whichever way it arrives.
// Each pairing is signed, so that the check under test is the one that
// refuses it.
func TestHostilePairingsSendNothing(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	goodSession := r.session(r.gd.Port, "gdlogin-test")
	good := goodSession.Pairing()
	b64 := base64.RawURLEncoding.EncodeToString
	state := b64(good.State[:])
	pub := b64(good.Pub)
	org := r.org.URL
	field := func(port, st, pb, id, o string) string {
		return signedHostile(t, testInstallationKey, "1", port, strconv.Quote(st), strconv.Quote(pb), id, strconv.Quote(o))
	}
	withV := func(v string) string {
		return signedHostile(t, testInstallationKey, v, fmt.Sprint(r.gd.Port), strconv.Quote(state), strconv.Quote(pub), `"id"`, strconv.Quote(org))
	}
	// goodJSON is the real pairing; tampered changes one value of it and
	// keeps its id and signature.
	goodJSON, _ := good.MarshalJSON()
	tampered := func(from, to string) string {
		if !strings.Contains(string(goodJSON), from) {
			t.Fatalf("%s is not in %s", from, goodJSON)
		}
		return hostile(strings.Replace(string(goodJSON), from, to, 1))
	}
	other, _ := handoff.NewInstallationKey(nil)
	otherState := b64(append(good.State[:31], good.State[31]^1))
	port := fmt.Sprint(r.gd.Port)
	pub05 := b64(append([]byte{5}, good.Pub[1:]...))
	const bad = "bad pairing code; nothing sent"
	cases := []struct{ name, code, want string }{
		{"port with a host", field(`"1@evil.example"`, state, pub, `"id"`, org), bad},
		{"port with a host after a real port", field(`"`+port+`@evil.example"`, state, pub, `"id"`, org), bad},
		{"port as a string", field(`"`+port+`"`, state, pub, `"id"`, org), bad},
		{"fractional port", field(`1.5`, state, pub, `"id"`, org), bad},
		{"port too large", field(`70000`, state, pub, `"id"`, org), bad},
		{"port that wraps to a real one", field(fmt.Sprint(65536+r.gd.Port), state, pub, `"id"`, org), bad},
		{"negative port", field(`-1`, state, pub, `"id"`, org), bad},
		{"null port", field(`null`, state, pub, `"id"`, org), bad},
		{"port as an array", field(`[`+port+`]`, state, pub, `"id"`, org), bad},
		{"wrong origin", field(port, state, pub, `"id"`, "https://evil.example"), "pairing for https://evil.example, not " + org + "; nothing sent"},
		{"origin with a path", field(port, state, pub, `"id"`, org+"/"), "pairing for " + org + "/, not " + org + "; nothing sent"},
		{"31-byte state", field(port, b64(good.State[:31]), pub, `"id"`, org), bad},
		{"33-byte state", field(port, b64(append(good.State[:], 7)), pub, `"id"`, org), bad},
		{"state of a length base64 cannot have", field(port, state[:41], pub, `"id"`, org), bad},
		{"state not base64url", field(port, state[:42]+"+", pub, `"id"`, org), bad},
		{"64-byte pub", field(port, state, b64(good.Pub[:64]), `"id"`, org), bad},
		{"64-byte pub without the 04", field(port, state, b64(good.Pub[1:]), `"id"`, org), bad},
		{"pub not starting with 04", field(port, state, pub05, `"id"`, org), bad},
		{"token id starting with a dot", field(port, state, pub, `".hidden"`, org), bad},
		{"token id with a slash", field(port, state, pub, `"a/../b"`, org), bad},
		{"token id too long", field(port, state, pub, `"`+strings.Repeat("a", 256)+`"`, org), bad},
		{"token id a number", field(port, state, pub, `12345`, org), bad},
		{"token id a list", field(port, state, pub, `["id"]`, org), bad},
		{"version 2", withV(`2`), bad},
		{"version as a string", withV(`"1"`), bad},
		{"extra field", hostile(strings.TrimSuffix(string(goodJSON), "}") + `,"then":"x"}`), bad},
		{"missing org", hostile(fmt.Sprintf(`{"v":1,"port":%s,"state":%q,"pub":%q,"tokenId":"id","x":1,"id":%q,"sig":"x"}`, port, state, pub, testInstallationKey.IDText())), bad},
		{"JSON with garbage after it", hostile(string(goodJSON) + "garbage"), bad},
		{"an array", hostile(`[1,2,3,4,5,6,7,8]`), bad},
		{"null", hostile(`null`), bad},
		{"not base64url", "eyJ2IjoxfQ==", bad},
		{"garbage", "%3Cscript%3E", bad},
		// SPEC 3.11: the signature.
		{"a pairing without id and sig", hostile(fmt.Sprintf(`{"v":1,"port":%s,"state":%q,"pub":%q,"tokenId":"gdlogin-test","org":%q}`, port, state, pub, org)), bad},
		{"sig missing", tampered(`,"sig":"`+b64(good.Sig)+`"`, `,"sig2":"`+b64(good.Sig)+`"`), bad},
		{"sig empty", tampered(b64(good.Sig), ""), bad},
		{"sig of another key", tampered(`"id":"`+testInstallationKey.IDText(), `"id":"`+other.IDText()), bad},
		{"tampered port", tampered(`"port":`+port, `"port":`+fmt.Sprint(r.gd.Port+1)), bad},
		{"tampered state", tampered(state, otherState), bad},
		{"tampered pub", tampered(pub, other.IDText()), bad},
		{"tampered token id", tampered(`"gdlogin-test"`, `"gdlogin-tesu"`), bad},
		{"tampered org", tampered(strconv.Quote(org), strconv.Quote(strings.Replace(org, "127.0.0.1", "localhost", 1))), bad},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &rig{t: t, org: r.org, gd: r.gd, b: r.b.For(t)}
			r.b.Open(r.org.URL + "/#gdlogin=" + c.code)
			mark := r.b.Mark()
			r.b.ClickBookmarklet(static.Bookmarklet())
			if got := r.b.Status(c.want); !strings.Contains(got, "nothing sent") {
				t.Errorf("status %q does not say that nothing was sent", got)
			}
			r.assertNothingSent(mark, r.org.URL+"/")
		})
	}
}

// TestHostilePairingOnIncludedPage: the page script validates before it
// even offers its button.
func TestHostilePairingOnIncludedPage(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	p := r.session(r.gd.Port, "x").Pairing()
	code := signedHostile(t, testInstallationKey, "1", `"1@evil.example"`, strconv.Quote(base64.RawURLEncoding.EncodeToString(p.State[:])),
		strconv.Quote(base64.RawURLEncoding.EncodeToString(p.Pub)), `"x"`, strconv.Quote(r.org.URL))
	r.b.Open(r.org.URL + "/included#gdlogin=" + code)
	mark := r.b.Mark()
	r.b.Status("bad pairing code; nothing sent")
	if n, _ := chromedp.Run(r.b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('button').length`)); n != 1 {
		t.Errorf("%d buttons on the page, want only Close", n)
	}
	r.assertNothingSent(mark, r.org.URL+"/included")
}

func TestConflictRetriesOnceWithASuffix(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{TakenIDs: []string{"gdlogin-laptop"}})
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	p := r.openCallback(s)
	if !regexp.MustCompile(`^gdlogin-laptop-[0-9a-f]{4}$`).MatchString(p.TokenID) {
		t.Fatalf("token id after a 409 is %q, want gdlogin-laptop-XXXX", p.TokenID)
	}
	r.checkPayload(p, p.TokenID)
	if got := r.org.Created(); len(got) != 1 || got[0] != p.TokenID {
		t.Errorf("created %v", got)
	}
}

func TestConflictOnALongIDKeepsItValid(t *testing.T) {
	long := strings.Repeat("t", 255)
	r := newRig(t, handofftest.OrgOptions{TakenIDs: []string{long}})
	s := r.session(r.gd.Port, long)
	snippet, _ := static.Snippet(s.PairingCode())
	r.b.Open(r.org.URL + "/")
	r.b.Eval(snippet)
	p := r.openCallback(s)
	if len(p.TokenID) != 255 || !handoff.ValidTokenID(p.TokenID) || !strings.HasPrefix(p.TokenID, long[:250]+"-") {
		t.Fatalf("token id after a 409 is %q (%d bytes)", p.TokenID, len(p.TokenID))
	}
}

func TestConflictTwiceGivesUp(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{CreateStatus: 409})
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	got := r.b.Status("answered HTTP 409")
	if !strings.Contains(got, "trace trace-0001") {
		t.Errorf("status %q lacks the trace id", got)
	}
	if n := len(r.org.APIRequests()); n != 3 {
		t.Errorf("%d API requests, want the profile and two creations", n)
	}
}

// errorCase runs the bookmarklet against an organization that fails and
// checks the message and that no token was asked for, or handed over.
func errorCase(t *testing.T, o handofftest.OrgOptions, want ...string) *rig {
	r := newRig(t, o)
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	got := r.b.Status(want[0])
	for _, w := range want[1:] {
		if !strings.Contains(got, w) {
			t.Errorf("status %q lacks %q", got, w)
		}
	}
	poll.Never(t, func() string {
		if got := r.gd.Requests(); len(got) > 0 {
			return fmt.Sprintf("gdlogin's listener got %v", got)
		}
		return ""
	})
	return r
}

// reportCase runs the bookmarklet against an organization that refuses
// the token for lack of a permission: the script says so on the page and
// reports it, encrypted, to gdlogin, with no token.
func reportCase(t *testing.T, o handofftest.OrgOptions, want ...string) *rig {
	r := newRig(t, o)
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	p := r.openCallback(s)
	if p.Token != "" || p.TokenID != "" || p.UserID != "john.doe" || p.Origin != r.org.URL {
		t.Fatalf("report %v", p)
	}
	for _, w := range want {
		if !strings.Contains(p.Error, w) {
			t.Errorf("report %q lacks %q", p.Error, w)
		}
	}
	return r
}

func TestMissingPermission(t *testing.T) {
	r := reportCase(t, handofftest.OrgOptions{Permissions: []string{}},
		"John Doe (john.doe) lacks SELF_CREATE_TOKEN")
	if api := r.org.APIRequests(); len(api) != 1 {
		t.Errorf("API requests %v, want only the profile", api)
	}
}

func TestMissingPermissionInPasteModeStaysOnThePage(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{Permissions: []string{}})
	s := r.session(0, "gdlogin-laptop")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.b.Status("SELF_CREATE_TOKEN")
	poll.Never(t, func() string {
		if got := r.gd.Requests(); len(got) > 0 {
			return fmt.Sprintf("gdlogin's listener got %v", got)
		}
		return ""
	})
}

func TestManagePermissionIsEnough(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{Permissions: []string{"MANAGE"}})
	s := r.session(r.gd.Port, "admin-token")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.checkPayload(r.openCallback(s), "admin-token")
}

func TestSignedOut(t *testing.T) {
	r := errorCase(t, handofftest.OrgOptions{SignedOut: true}, "gdlogin: sign in first")
	if api := r.org.APIRequests(); len(api) != 1 {
		t.Errorf("API requests %v, want only the profile", api)
	}
}

func TestCreationForbidden(t *testing.T) {
	reportCase(t, handofftest.OrgOptions{CreateStatus: 403}, "John Doe (john.doe) lacks SELF_CREATE_TOKEN")
}

func TestServerErrorShowsStatusAndTrace(t *testing.T) {
	errorCase(t, handofftest.OrgOptions{CreateStatus: 500, TraceID: "4f1c0ffee"}, "answered HTTP 500", "trace 4f1c0ffee")
}

func TestNetworkFailure(t *testing.T) {
	r := errorCase(t, handofftest.OrgOptions{DropCreate: true}, "cannot reach ")
	if got := r.b.StatusNow(); !strings.Contains(got, r.org.URL) {
		t.Errorf("status %q does not name the organization", got)
	}
}

// TestHostileSnippet: a console snippet with a hostile pairing (only
// base64url can go in, but it can say anything) is refused the same way.
func TestHostileSnippet(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	p := r.session(r.gd.Port, "x").Pairing()
	code := signedHostile(t, testInstallationKey, "1", `"1@evil.example"`, strconv.Quote(base64.RawURLEncoding.EncodeToString(p.State[:])),
		strconv.Quote(base64.RawURLEncoding.EncodeToString(p.Pub)), `"x"`, strconv.Quote(r.org.URL))
	snippet, err := static.Snippet(code)
	if err != nil {
		t.Fatal(err)
	}
	r.b.Open(r.org.URL + "/")
	mark := r.b.Mark()
	r.b.Eval(snippet)
	r.b.Status("bad pairing code; nothing sent")
	r.assertNothingSent(mark, r.org.URL+"/")
}

func TestLegacyAPI(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{Legacy: true})
	s := r.session(r.gd.Port, "gdlogin-legacy")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.checkPayload(r.openCallback(s), "gdlogin-legacy")
	var paths []string
	for _, q := range r.org.APIRequests() {
		paths = append(paths, q.Method+" "+q.Path)
	}
	want := "GET /api/v1/profile,GET /api/profile,POST /api/entities/users/john.doe/apiTokens"
	if strings.Join(paths, ",") != want {
		t.Errorf("API requests %q, want %s", paths, want)
	}
}

// answerPrompt answers the next prompt() with text, or dismisses it when
// text is empty, and returns the prompt's message.
func answerPrompt(t *testing.T, ctx context.Context, text string) <-chan string {
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	asked := make(chan string, 1)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			asked <- ev.Message
			_, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: text != "", PromptText: text})
			if err != nil {
				t.Errorf("answer the prompt: %v", err)
			}
			return
		}
	}()
	return asked
}

// TestPromptWhenTheFragmentWasLost: SSO dropped #gdlogin=, so the
// bookmarklet asks for the pairing code.
func TestPromptWhenTheFragmentWasLost(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	s := r.session(r.gd.Port, "gdlogin-prompt")
	r.b.Open(r.org.URL + "/dashboards?after=login")
	asked := answerPrompt(t, r.b.Ctx, "  "+s.PairingCode()+"\n")
	r.b.ClickBookmarklet(static.Bookmarklet())
	select {
	case msg := <-asked:
		// It names where the code is: the terminal prints the start
		// page's address, also when gdlogin opened the organization.
		if msg != "gdlogin pairing code (start page):" {
			t.Errorf("prompt says %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no prompt")
	}
	p := r.openCallback(s)
	r.checkPayload(p, "gdlogin-prompt")
	r.checkBookmark(p, true)
}

func TestPromptDismissedSendsNothing(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	r.b.Open(r.org.URL + "/")
	mark := r.b.Mark()
	asked := answerPrompt(t, r.b.Ctx, "")
	r.b.ClickBookmarklet(static.Bookmarklet())
	<-asked
	r.b.Status("nothing sent")
	r.assertNothingSent(mark, r.org.URL+"/")
}

func TestPasteMode(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	s := r.session(0, "gdlogin-remote")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	mark := r.b.Mark()
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.b.Status("paste into gdlogin only if your terminal shows this code:")

	code, err := chromedp.Run(r.b.Ctx, chromedp.Text(chromedp.CSS(`[data-testid=gdlogin-code]`)))
	if err != nil {
		t.Fatal(err)
	}
	if code != s.ConfirmationCode() {
		t.Errorf("page shows confirmation code %q, gdlogin %q", code, s.ConfirmationCode())
	}
	envelope, err := chromedp.Run(r.b.Ctx, chromedp.Value(chromedp.CSS(`textarea[data-testid=gdlogin-envelope]`)))
	if err != nil {
		t.Fatal(err)
	}
	readOnly, err := chromedp.Run(r.b.Ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid=gdlogin-envelope]').readOnly`))
	if err != nil || !readOnly {
		t.Errorf("envelope box is not read-only (%v)", err)
	}
	p, err := s.OpenText(envelope)
	if err != nil {
		t.Fatalf("Go cannot open the pasted envelope: %v", err)
	}
	r.checkPayload(p, "gdlogin-remote")
	if err := chromedp.Do(r.b.Ctx, chromedp.WaitVisible(chromedp.Search(`//button[.="Copy"]`))); err != nil {
		t.Fatal(err)
	}
	// Only the two API calls left the tab: no navigation in paste mode.
	for _, u := range r.sent(mark) {
		if !strings.HasPrefix(u, r.org.URL+"/api/v1/") {
			t.Errorf("paste mode sent %s", u)
		}
	}
	if got := r.gd.Requests(); len(got) > 0 {
		t.Errorf("gdlogin's listener got %v", got)
	}
}

// TestPanelUnderStrictCSP: the panel is styled through the CSSOM, which the
// organization's CSP allows, so it really is a fixed overlay; the page sees
// no CSP violation; the status is a live region; Close is a focusable
// button that removes the panel.
func TestPanelUnderStrictCSP(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	s := r.session(0, "gdlogin-remote")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.Eval(`window.violations = []; document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI))`)
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.b.Status("only if your terminal shows this code")

	type panelFacts struct {
		Position   string   `json:"position"`
		ZIndex     string   `json:"zIndex"`
		Background string   `json:"background"`
		Role       string   `json:"role"`
		Violations []string `json:"violations"`
		Focused    bool     `json:"focused"`
	}
	facts, err := chromedp.Run(r.b.Ctx, chromedp.Evaluate[panelFacts](`(() => {
		const status = document.querySelector('[role=status]');
		const panel = status.parentElement;
		const style = getComputedStyle(panel);
		const close = [...panel.querySelectorAll('button')].find((b) => b.textContent == 'Close');
		close.focus();
		return {position: style.position, zIndex: style.zIndex, background: style.backgroundColor,
			role: status.getAttribute('role'), violations, focused: document.activeElement == close};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if facts.Position != "fixed" || facts.ZIndex != "2147483647" || facts.Background == "rgba(0, 0, 0, 0)" {
		t.Errorf("panel style not applied under the CSP: %+v", facts)
	}
	if facts.Role != "status" || !facts.Focused {
		t.Errorf("panel not accessible: %+v", facts)
	}
	if len(facts.Violations) > 0 {
		t.Errorf("CSP violations: %q", facts.Violations)
	}
	if err := chromedp.Do(r.b.Ctx, chromedp.Click(chromedp.Search(`//button[.="Close"]`))); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(r.b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('[role=status]').length`)); n != 0 {
		t.Error("Close did not remove the panel")
	}
}
