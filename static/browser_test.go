package static_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/handoff/handofftest"
	"github.com/gdlogin/gdlogin/static"
)

// These tests run the shipped script in headless Chromium, on pages served
// under the organization's strict CSP from 127.0.0.1 (treated as a public
// site), against a fake organization API and a fake gdlogin listener.

const sendButton = `//button[.="Send a new API token to gdlogin"]`

type rig struct {
	t   *testing.T
	org *handofftest.Org
	gd  *handofftest.Listener
	b   *handofftest.Browser
}

func newRig(t *testing.T, o handofftest.OrgOptions) *rig {
	t.Helper()
	o.Script = static.HandoffScript()
	org := handofftest.NewOrg(t, o)
	return &rig{t: t, org: org, gd: handofftest.NewListener(t), b: handofftest.NewBrowser(t, org.Host)}
}

func (r *rig) session(port int, tokenID string) *handoff.Session {
	r.t.Helper()
	s, err := handoff.NewSession(port, tokenID, r.org.URL, nil)
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
	time.Sleep(200 * time.Millisecond) // let anything the script might still send show up
	if api := r.org.APIRequests(); len(api) > 0 {
		r.t.Errorf("the script called the API: %v", api)
	}
	if got := r.gd.Requests(); len(got) > 0 {
		r.t.Errorf("the script reached gdlogin's listener: %v", got)
	}
	if got := r.sent(mark); len(got) > 0 {
		r.t.Errorf("the tab sent requests: %q", got)
	}
	if loc := r.b.Location(); loc != where {
		r.t.Errorf("the tab is at %s, want %s", loc, where)
	}
}

func TestBookmarkletHappyPath(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.checkPayload(r.openCallback(s), "gdlogin-laptop")

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
	r.checkPayload(r.openCallback(s), "gdlogin-snippet")
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
	if err := chromedp.Do(r.b.Ctx, chromedp.WaitVisible(chromedp.Search(sendButton))); err != nil {
		t.Fatal(err)
	}
	r.b.Status("asks for a new API token for " + r.org.URL)
	time.Sleep(300 * time.Millisecond)
	if api := r.org.APIRequests(); len(api) > 0 {
		t.Fatalf("the page called the API before the click: %v", api)
	}
	if loc := r.b.Location(); loc != r.org.URL+"/included" {
		t.Errorf("the pairing is still in the address bar: %s", loc)
	}
	if err := chromedp.Do(r.b.Ctx, chromedp.Click(chromedp.Search(sendButton))); err != nil {
		t.Fatal(err)
	}
	r.checkPayload(r.openCallback(s), "gdlogin-demo")
}

func TestIncludedScriptIgnoresPagesWithoutPairing(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	r.b.Open(r.org.URL + "/included#section-2")
	mark := r.b.Mark()
	time.Sleep(300 * time.Millisecond)
	if n, err := chromedp.Run(r.b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('[role=status]').length`)); err != nil || n != 0 {
		t.Fatalf("a panel appeared (%d, %v)", n, err)
	}
	r.assertNothingSent(mark, r.org.URL+"/included#section-2")
}

// hostile returns a pairing code for JSON that a test edits by hand.
func hostile(json string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(json))
}

// TestHostilePairingsSendNothing: a pairing that fails any check stops the
// script before any request, with a message, whichever way it arrives.
func TestHostilePairingsSendNothing(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	good := r.session(r.gd.Port, "gdlogin-test").Pairing()
	b64 := base64.RawURLEncoding.EncodeToString
	state := b64(good.State[:])
	pub := b64(good.Pub)
	org := r.org.URL
	field := func(port, st, pb, id, o string) string {
		return hostile(fmt.Sprintf(`{"v":1,"port":%s,"state":%q,"pub":%q,"tokenId":%s,"org":%q}`, port, st, pb, id, o))
	}
	port := fmt.Sprint(r.gd.Port)
	pub05 := b64(append([]byte{5}, good.Pub[1:]...))
	cases := []struct{ name, code, want string }{
		{"port with a host", field(`"1@evil.example"`, state, pub, `"id"`, org), "not a valid pairing code"},
		{"port with a host after a real port", field(`"`+port+`@evil.example"`, state, pub, `"id"`, org), "not a valid pairing code"},
		{"port as a string", field(`"`+port+`"`, state, pub, `"id"`, org), "not a valid pairing code"},
		{"fractional port", field(`1.5`, state, pub, `"id"`, org), "not a valid pairing code"},
		{"port too large", field(`70000`, state, pub, `"id"`, org), "not a valid pairing code"},
		{"negative port", field(`-1`, state, pub, `"id"`, org), "not a valid pairing code"},
		{"null port", field(`null`, state, pub, `"id"`, org), "not a valid pairing code"},
		{"port as an array", field(`[`+port+`]`, state, pub, `"id"`, org), "not a valid pairing code"},
		{"wrong origin", field(port, state, pub, `"id"`, "https://evil.example"), "this pairing is for https://evil.example, not " + org},
		{"origin with a path", field(port, state, pub, `"id"`, org+"/"), "this pairing is for " + org + "/, not " + org},
		{"31-byte state", field(port, b64(good.State[:31]), pub, `"id"`, org), "not a valid pairing code"},
		{"33-byte state", field(port, b64(append(good.State[:], 7)), pub, `"id"`, org), "not a valid pairing code"},
		{"state of a length base64 cannot have", field(port, state[:41], pub, `"id"`, org), "not a valid pairing code"},
		{"state not base64url", field(port, state[:42]+"+", pub, `"id"`, org), "not a valid pairing code"},
		{"64-byte pub", field(port, state, b64(good.Pub[:64]), `"id"`, org), "not a valid pairing code"},
		{"64-byte pub without the 04", field(port, state, b64(good.Pub[1:]), `"id"`, org), "not a valid pairing code"},
		{"pub not starting with 04", field(port, state, pub05, `"id"`, org), "not a valid pairing code"},
		{"token id starting with a dot", field(port, state, pub, `".hidden"`, org), "not a valid pairing code"},
		{"token id with a slash", field(port, state, pub, `"a/../b"`, org), "not a valid pairing code"},
		{"token id too long", field(port, state, pub, `"`+strings.Repeat("a", 256)+`"`, org), "not a valid pairing code"},
		{"token id a number", field(port, state, pub, `12345`, org), "not a valid pairing code"},
		{"version 2", hostile(fmt.Sprintf(`{"v":2,"port":%s,"state":%q,"pub":%q,"tokenId":"id","org":%q}`, port, state, pub, org)), "not a valid pairing code"},
		{"version as a string", hostile(fmt.Sprintf(`{"v":"1","port":%s,"state":%q,"pub":%q,"tokenId":"id","org":%q}`, port, state, pub, org)), "not a valid pairing code"},
		{"extra field", hostile(fmt.Sprintf(`{"v":1,"port":%s,"state":%q,"pub":%q,"tokenId":"id","org":%q,"then":"x"}`, port, state, pub, org)), "not a valid pairing code"},
		{"missing org", hostile(fmt.Sprintf(`{"v":1,"port":%s,"state":%q,"pub":%q,"tokenId":"id","x":1}`, port, state, pub)), "not a valid pairing code"},
		{"JSON with garbage after it", hostile(fmt.Sprintf(`{"v":1,"port":%s,"state":%q,"pub":%q,"tokenId":"id","org":%q}garbage`, port, state, pub, org)), "not a valid pairing code"},
		{"an array", hostile(`[1,2,3,4,5,6]`), "not a valid pairing code"},
		{"null", hostile(`null`), "not a valid pairing code"},
		{"not base64url", "eyJ2IjoxfQ==", "not a valid pairing code"},
		{"garbage", "%3Cscript%3E", "not a valid pairing code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &rig{t: t, org: r.org, gd: r.gd, b: r.b.For(t)}
			r.b.Open(r.org.URL + "/#gdlogin=" + c.code)
			mark := r.b.Mark()
			r.b.ClickBookmarklet(static.Bookmarklet())
			if got := r.b.Status(c.want); !strings.Contains(got, "Nothing was sent") {
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
	code := hostile(fmt.Sprintf(`{"v":1,"port":"1@evil.example","state":%q,"pub":%q,"tokenId":"x","org":%q}`,
		base64.RawURLEncoding.EncodeToString(p.State[:]), base64.RawURLEncoding.EncodeToString(p.Pub), r.org.URL))
	r.b.Open(r.org.URL + "/included#gdlogin=" + code)
	mark := r.b.Mark()
	r.b.Status("not a valid pairing code")
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
	if !strings.Contains(got, "trace id trace-0001") {
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
	time.Sleep(200 * time.Millisecond)
	if got := r.gd.Requests(); len(got) > 0 {
		t.Errorf("gdlogin's listener got %v", got)
	}
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
		"SELF_CREATE_TOKEN", "John Doe (john.doe) may not create API tokens", "admin")
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
	time.Sleep(200 * time.Millisecond)
	if got := r.gd.Requests(); len(got) > 0 {
		t.Errorf("gdlogin's listener got %v", got)
	}
}

func TestManagePermissionIsEnough(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{Permissions: []string{"MANAGE"}})
	s := r.session(r.gd.Port, "admin-token")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.checkPayload(r.openCallback(s), "admin-token")
}

func TestSignedOut(t *testing.T) {
	r := errorCase(t, handofftest.OrgOptions{SignedOut: true}, "sign in to the organization first, then run gdlogin again")
	if api := r.org.APIRequests(); len(api) != 1 {
		t.Errorf("API requests %v, want only the profile", api)
	}
}

func TestCreationForbidden(t *testing.T) {
	reportCase(t, handofftest.OrgOptions{CreateStatus: 403}, "SELF_CREATE_TOKEN", "may not create API tokens")
}

func TestServerErrorShowsStatusAndTrace(t *testing.T) {
	errorCase(t, handofftest.OrgOptions{CreateStatus: 500, TraceID: "4f1c0ffee"}, "answered HTTP 500", "trace id 4f1c0ffee")
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
	code := hostile(fmt.Sprintf(`{"v":1,"port":"1@evil.example","state":%q,"pub":%q,"tokenId":"x","org":%q}`,
		base64.RawURLEncoding.EncodeToString(p.State[:]), base64.RawURLEncoding.EncodeToString(p.Pub), r.org.URL))
	snippet, err := static.Snippet(code)
	if err != nil {
		t.Fatal(err)
	}
	r.b.Open(r.org.URL + "/")
	mark := r.b.Mark()
	r.b.Eval(snippet)
	r.b.Status("not a valid pairing code")
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
		if !strings.Contains(msg, "pairing code") {
			t.Errorf("prompt says %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no prompt")
	}
	r.checkPayload(r.openCallback(s), "gdlogin-prompt")
}

func TestPromptDismissedSendsNothing(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	r.b.Open(r.org.URL + "/")
	mark := r.b.Mark()
	asked := answerPrompt(t, r.b.Ctx, "")
	r.b.ClickBookmarklet(static.Bookmarklet())
	<-asked
	r.b.Status("Nothing was sent")
	r.assertNothingSent(mark, r.org.URL+"/")
}

func TestPasteMode(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{})
	s := r.session(0, "gdlogin-remote")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	mark := r.b.Mark()
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.b.Status("Paste this into gdlogin only if the terminal shows the same confirmation code")

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
	r.b.Status("confirmation code")

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
