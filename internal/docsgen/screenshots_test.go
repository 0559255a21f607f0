package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/static"
	"github.com/gdlogin/gdlogin/web"
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

// The screenshots show an organization at a real-looking address: the
// emulator, served over TLS, with Chromium resolving this name to it.
const (
	orgHost    = "analytics.example.com"
	orgOrigin  = "https://" + orgHost
	shotsDir   = "../../docs/screenshots"
	shotsToken = "gdlogin-laptop-20261129T182200Z"
	sendButton = `[data-testid=gdlogin-confirm]`
)

// view is one viewport and colour scheme.
type view struct {
	name          string
	width, height int64
	dark          bool
}

var (
	desktop     = view{"desktop", 1280, 900, false}
	desktopDark = view{"desktop-dark", 1280, 900, true}
	narrow      = view{"narrow", 390, 844, false}
	narrowDark  = view{"narrow-dark", 390, 844, true}
	// smallest is the narrowest phone the pages must fit without
	// scrolling sideways; it is checked, not saved.
	smallest = view{"375", 375, 667, false}
)

// TestScreenshots renders every state of gdlogin's pages in headless
// Chromium against the organization emulator: the start page waiting (and
// with its help opened) and after success, the callback page after success and after a refusal, and
// the paste-mode panel on the organization's page, at desktop and phone
// widths, light and dark. It fails on any console error or CSP violation
// on gdlogin's pages and on a page wider than a 375-pixel phone. With
// GDLOGIN_SCREENSHOTS=1 it also writes the PNGs to docs/screenshots:
//
//	GDLOGIN_SCREENSHOTS=1 go test ./internal/docsgen -run Screenshots
func TestScreenshots(t *testing.T) {
	shots := &shooter{t: t, write: os.Getenv("GDLOGIN_SCREENSHOTS") == "1"}
	org := startOrg(t)
	b := newBrowser(t, org.tlsAddr)
	console := &consoleLog{}

	// 1. The start page, waiting.
	login := startLogin(t, org)
	console.watch(t, b.Ctx, login.Origin())
	run(t, b.Ctx, chromedp.Navigate(login.StartURL()))
	waitState(t, b.Ctx, "waiting")
	shots.take(b.Ctx, "start-waiting", desktop, desktopDark, narrow, narrowDark)
	// The help and the other ways, opened.
	run(t, b.Ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("details").forEach(d => d.open = true)`))
	shots.take(b.Ctx, "start-help", desktop)
	run(t, b.Ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("details").forEach(d => d.open = false)`))
	openOrg := evalString(t, b.Ctx, `document.querySelector('[data-testid="open-org"]').href`)

	// 2. john.doe signs in on the organization's tab and sends the token:
	// the callback page and the start page show who logged in.
	john := newUserTab(t, b)
	console.watch(t, john, login.Origin())
	signIn(t, john, openOrg, "john.doe")
	run(t, john, chromedp.Click(chromedp.Search(sendButton)))
	waitState(t, john, "success")
	shots.take(john, "callback-success", desktop, desktopDark, narrow)
	waitState(t, b.Ctx, "success")
	shots.take(b.Ctx, "start-success", desktop, narrowDark)

	// 3. jane.roe may not create API tokens: the organization's page
	// reports it to gdlogin, and the callback page says why.
	refused := startLogin(t, org)
	jane := newUserTab(t, b)
	console.watch(t, jane, refused.Origin())
	run(t, jane, chromedp.Navigate(refused.StartURL()))
	signIn(t, jane, evalString(t, jane, `document.querySelector('[data-testid="open-org"]').href`), "jane.roe")
	run(t, jane, chromedp.Click(chromedp.Search(sendButton)))
	if text := waitState(t, jane, "error"); !strings.Contains(text, "SELF_CREATE_TOKEN") {
		t.Errorf("the callback page says %q", text)
	}
	shots.take(jane, "callback-error", desktop, desktopDark, narrow)

	// 4. Paste mode: the console snippet of a port-0 pairing shows the
	// envelope and the confirmation code on the organization's page.
	paste, err := handoff.NewSession(0, shotsToken, orgOrigin, testInstallationKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	snippet, err := static.Snippet(paste.PairingCode())
	if err != nil {
		t.Fatal(err)
	}
	run(t, john, chromedp.Navigate(orgOrigin+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-user"]`)))
	run(t, john, chromedp.Evaluate[chromedp.Void](snippet), chromedp.WaitVisible(chromedp.CSS(`[data-testid="gdlogin-envelope"]`)))
	if code := evalString(t, john, `document.querySelector('[data-testid="gdlogin-code"]').textContent`); code != paste.ConfirmationCode() {
		t.Errorf("the page shows the confirmation code %q, gdlogin %q", code, paste.ConfirmationCode())
	}
	envelope := evalString(t, john, `document.querySelector('[data-testid="gdlogin-envelope"]').value`)
	if p, err := paste.OpenText(envelope); err != nil || p.UserID != "john.doe" {
		t.Errorf("the pasted envelope opens to %v, %v", p.UserID, err)
	}
	run(t, john, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	shots.take(john, "paste-overlay", desktop, narrow)

	for _, m := range console.errors() {
		t.Errorf("console on gdlogin's page: %s", m)
	}
	if !shots.write {
		t.Skip("rendered every state; set GDLOGIN_SCREENSHOTS=1 to write docs/screenshots")
	}
	t.Logf("wrote %d screenshots, %d KiB", len(shots.files), shots.bytes>>10)
}

// org is the emulator behind https://analytics.example.com.
type org struct {
	*orgsim.Server
	tlsAddr string
	client  *http.Client // reaches it as analytics.example.com
}

func startOrg(t *testing.T) *org {
	t.Helper()
	sim, err := orgsim.Start(orgsim.Options{
		PrefillUser: "john.doe",
		Scripts:     []orgsim.Script{{Path: "/gdlogin-handoff.js", Body: static.HandoffScript()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	ts := httptest.NewTLSServer(sim.Handler())
	t.Cleanup(ts.Close)
	// httptest's certificate names example.com; the client checks it
	// against that name and dials the test server whatever the host.
	tr := ts.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.ServerName = "example.com"
	addr := ts.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tr.DialTLSContext = nil
	return &org{Server: sim, tlsAddr: addr, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// startLogin starts gdlogin's loopback server for one login to the
// organization, verifying tokens with it as gdlogin does.
func startLogin(t *testing.T, o *org) *web.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := handoff.NewSession(ln.Addr().(*net.TCPAddr).Port, shotsToken, orgOrigin, testInstallationKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	snippet, err := static.Snippet(sess.PairingCode())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{
		Listener:    ln,
		Session:     sess,
		Org:         orgOrigin,
		OpenOrgURL:  orgOrigin + "/appLogin?redirectTo=/%23gdlogin%3D" + sess.PairingCode(),
		Bookmarklet: static.Bookmarklet(),
		Snippet:     snippet,
		Deadline:    time.Date(2026, 11, 29, 18, 27, 0, 0, time.Local),
		Verify: func(ctx context.Context, p handoff.Payload) (*gooddata.Profile, error) {
			c, err := gooddata.New(orgOrigin, p.Token, gooddata.Options{HTTPClient: o.client})
			if err != nil {
				return nil, err
			}
			prof, err := c.Profile(ctx)
			if err == nil && prof.UserID != p.UserID {
				err = fmt.Errorf("the token belongs to %s, not to %s", prof.UserID, p.UserID)
			}
			return prof, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	return srv
}

// newBrowser starts headless Chromium as browsertest.New does, plus what
// the screenshots need: analytics.example.com resolves to the emulator,
// whose test certificate is accepted, and which counts as a public site.
func newBrowser(t *testing.T, orgAddr string) *browsertest.Browser {
	t.Helper()
	return browsertest.New(t, browsertest.Options{
		PublicHosts:  []string{orgAddr},
		Timeout:      3 * time.Minute,
		WindowWidth:  int(desktop.width),
		WindowHeight: int(desktop.height),
		Flags: map[string]any{
			"hide-scrollbars":           true,
			"font-render-hinting":       "none",
			"host-resolver-rules":       "MAP " + orgHost + " " + orgAddr,
			"ignore-certificate-errors": true,
		},
	})
}

// newUserTab opens a tab in a browser context of its own, so that each
// user signs in with their own cookies.
func newUserTab(t *testing.T, b *browsertest.Browser) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.Ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// signIn opens the open-org link and signs in through the emulator's form;
// the organization's page then offers to send a token.
func signIn(t *testing.T, ctx context.Context, openOrg, user string) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(openOrg),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-username"]`), user),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), "demo"),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.Search(sendButton)),
	)
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

// waitState waits until the page's status panel shows state, and returns
// its text. The page may still be navigating to it.
func waitState(t *testing.T, ctx context.Context, state string) string {
	t.Helper()
	js := `(() => { const e = document.querySelector('[data-testid="status"]'); return e && e.dataset.state === ` + fmt.Sprintf("%q", state) + ` ? e.innerText : ""; })()`
	deadline := time.Now().Add(30 * time.Second)
	for {
		text, err := chromedp.Run(ctx, chromedp.Poll[string](js, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return text
		}
		if time.Now().After(deadline) {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.querySelector('[data-testid="status"]'); return e ? e.dataset.state + ": " + e.innerText : location.href; })()`))
			t.Fatalf("status %q never showed; the page shows %s (%v)", state, got, err)
		}
		time.Sleep(100 * time.Millisecond) // a navigation interrupted the poll
	}
}

// consoleLog collects the errors that gdlogin's pages write to the
// console: exceptions, failed loads, CSP violations.
type consoleLog struct {
	mu   sync.Mutex
	errs []string
}

func (c *consoleLog) watch(t *testing.T, ctx context.Context, origin string) {
	t.Helper()
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException && m.Type != chromedp.ConsoleWarning {
				continue
			}
			if !strings.HasPrefix(m.URL, origin) && !strings.Contains(m.Text, origin) {
				continue
			}
			c.mu.Lock()
			c.errs = append(c.errs, fmt.Sprintf("%s (%s)", m, m.URL))
			c.mu.Unlock()
		}
	}()
}

func (c *consoleLog) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errs...)
}

// shooter takes the screenshots of one state in several views.
type shooter struct {
	t     *testing.T
	write bool
	files []string
	bytes int
}

func (s *shooter) take(ctx context.Context, name string, views ...view) {
	s.t.Helper()
	ours := strings.HasPrefix(evalString(s.t, ctx, `location.href`), "http://127.0.0.1:")
	if ours {
		s.setView(ctx, smallest)
		if w := evalString(s.t, ctx, `String(document.documentElement.scrollWidth)`); w != "375" {
			s.t.Errorf("%s is %s pixels wide on a 375-pixel phone", name, w)
		}
	}
	for _, v := range views {
		s.setView(ctx, v)
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			s.t.Fatalf("%s %s: %v", name, v.name, err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			s.t.Fatalf("%s %s: %v", name, v.name, err)
		}
		if w := img.Bounds().Dx(); w != int(v.width) {
			s.t.Errorf("%s %s: %d pixels wide, want %d", name, v.name, w, v.width)
		}
		if !s.write {
			continue
		}
		out, err := compress(img)
		if err != nil {
			s.t.Fatal(err)
		}
		file := filepath.Join(shotsDir, name+"-"+v.name+".png")
		if err := os.WriteFile(file, out, 0o644); err != nil {
			s.t.Fatal(err)
		}
		s.files = append(s.files, file)
		s.bytes += len(out)
	}
	s.setView(ctx, desktop)
}

// setView sets the viewport and the colour scheme, and stops animations
// (prefers-reduced-motion) so that every run draws the same pixels.
func (s *shooter) setView(ctx context.Context, v view) {
	s.t.Helper()
	scheme := "light"
	if v.dark {
		scheme = "dark"
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.width, v.height)); err != nil {
		s.t.Fatal(err)
	}
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
		{Name: "prefers-color-scheme", Value: scheme},
		{Name: "prefers-reduced-motion", Value: "reduce"},
	}})
	if err != nil {
		s.t.Fatal(err)
	}
	// Two frames: the new layout is painted.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)); err != nil {
		s.t.Fatal(err)
	}
}

// paletteSize is the number of colours of a screenshot: enough for the
// edges of letters on every background of a page.
const paletteSize = 128

// compress writes img as a paletted PNG: the most frequent colours
// (a page has a few flat colours and the edges of its letters), every other
// colour drawn as its nearest. It keeps the screenshots a few tens of KiB.
func compress(img image.Image) ([]byte, error) {
	b := img.Bounds()
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colors := make([]color.RGBA, 0, len(counts))
	for c := range counts {
		colors = append(colors, c)
	}
	slices.SortFunc(colors, func(a, b color.RGBA) int {
		if d := counts[b] - counts[a]; d != 0 {
			return d
		}
		return int(a.R)<<16 | int(a.G)<<8 | int(a.B) - (int(b.R)<<16 | int(b.G)<<8 | int(b.B))
	})
	palette := make(color.Palette, 0, paletteSize)
	for _, c := range colors[:min(paletteSize, len(colors))] {
		palette = append(palette, c)
	}
	nearest := map[color.RGBA]uint8{}
	out := image.NewPaletted(b, palette)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := nearest[c]
			if !ok {
				i = uint8(palette.Index(c))
				nearest[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
