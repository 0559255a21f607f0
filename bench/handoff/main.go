// Command handoff measures the browser handoff in real headless Chromium,
// against the emulated organization, and compares it with its physical
// limit:
//
//   - gdlogin: the bookmarklet on the signed-in organization tab (profile,
//     token creation, ECDH/HKDF/AES-GCM, the navigation to 127.0.0.1, the
//     callback page, POST /complete, decryption and verification with the
//     organization), until the result is committed;
//   - limit: the documented DevTools snippet (one POST that creates the
//     token) followed by one top-level navigation to a bare loopback page
//     that posts its fragment to its own server, until that POST arrives.
//
// Runs alternate between the two; it prints the medians and their ratio.
//
//	go run ./bench/handoff [-runs 30]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/static"
	"github.com/gdlogin/gdlogin/web"
)

func main() {
	runs := flag.Int("runs", 30, "runs of each")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench/handoff:", err)
		os.Exit(1)
	}
}

func run(runs int) error {
	path := browsertest.ExecPath()
	if path == "" {
		return fmt.Errorf("no Chromium found (apt-get install -y chromium)")
	}
	org, err := orgsim.Start(orgsim.Options{})
	if err != nil {
		return err
	}
	defer org.Close()
	host := strings.TrimPrefix(org.URL(), "http://")
	dir, _ := os.MkdirTemp("", "gdlogin-bench-")
	defer os.RemoveAll(dir)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("ip-address-space-overrides", host+"=public"))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()

	// Sign in once, as a user would.
	if err := chromedp.Do(ctx, chromedp.Navigate(org.URL()+"/appLogin?redirectTo=/"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-username"]`), "john.doe"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), "demo"),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-user"]`))); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	// A returning user: this browser confirmed the installation once
	// (SPEC 3.11), so the bookmarklet goes straight on.
	if installationKey, err = handoff.NewInstallationKey(nil); err != nil {
		return err
	}
	trust := `localStorage.setItem('gdlogin.trusted', JSON.stringify(['` + installationKey.IDText() + `']))`
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](trust)); err != nil {
		return fmt.Errorf("trust the installation: %w", err)
	}
	bookmarklet, err := url.PathUnescape(strings.TrimPrefix(static.Bookmarklet(), "javascript:"))
	if err != nil {
		return err
	}

	var full, limit []time.Duration
	// Each run has a tab of its own (same browser, same session cookie), so
	// that nothing one run leaves behind (a page still loading, a renderer
	// process to reuse) helps or hinders the next.
	inTab := func(run func(context.Context) (time.Duration, error)) (time.Duration, error) {
		tab, closeTab := chromedp.NewContext(ctx)
		defer closeTab()
		return run(tab)
	}
	for i := 0; i < runs+2; i++ { // the first two of each warm up
		f, err := inTab(func(tab context.Context) (time.Duration, error) { return fullHandoff(tab, org, bookmarklet, i) })
		if err != nil {
			return fmt.Errorf("gdlogin run %d: %w", i, err)
		}
		l, err := inTab(func(tab context.Context) (time.Duration, error) { return bareLimit(tab, org, i) })
		if err != nil {
			return fmt.Errorf("limit run %d: %w", i, err)
		}
		if i >= 2 {
			full, limit = append(full, f), append(limit, l)
		}
	}
	mf, ml := median(full), median(limit)
	fmt.Printf("runs:                          %d each, alternating, same Chromium, same organization\n", runs)
	fmt.Printf("gdlogin handoff (median):      %s\n", mf.Round(10*time.Microsecond))
	fmt.Printf("snippet + navigation (median): %s\n", ml.Round(10*time.Microsecond))
	fmt.Printf("ratio gdlogin / limit:         %.2f (target <= 1.25)\n", float64(mf)/float64(ml))
	return nil
}

// fullHandoff times the bookmarklet on the organization tab until the
// loopback server commits the verified token.
func fullHandoff(ctx context.Context, org *orgsim.Server, bookmarklet string, i int) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	sess, err := handoff.NewSession(port, "bench-full-"+strconv.Itoa(i), org.URL(), installationKey, nil)
	if err != nil {
		return 0, err
	}
	committed := make(chan time.Time, 1)
	srv, err := web.New(web.Config{
		Listener: ln, Session: sess, Org: org.URL(), Grace: time.Millisecond,
		Verify: func(ctx context.Context, p handoff.Payload) (*gooddata.Profile, error) {
			c, err := gooddata.New(org.URL(), p.Token, gooddata.Options{})
			if err != nil {
				return nil, err
			}
			prof, err := c.Profile(ctx)
			if err == nil && prof.UserID != p.UserID {
				err = fmt.Errorf("token of %s, not %s", prof.UserID, p.UserID)
			}
			return prof, err
		},
		Events: func(ev web.Event) {
			if ev.Kind == web.EventCommitted {
				committed <- time.Now()
			}
		},
	})
	if err != nil {
		return 0, err
	}
	srv.Start()
	defer srv.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(org.URL()+"/#gdlogin="+sess.PairingCode())); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](bookmarklet)); err != nil {
		return 0, err
	}
	select {
	case t := <-committed:
		// Let the callback page finish (outcome shown, style sheet loaded)
		// before the server goes, as gdlogin's grace period does, so that
		// nothing of this run spills into the next measurement.
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="status"][data-state="success"]`))); err != nil {
			return 0, err
		}
		return t.Sub(start), nil
	case <-time.After(20 * time.Second):
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | " + document.body.innerText.slice(0, 400)`))
		return 0, fmt.Errorf("no result; the tab shows %s", page)
	}
}

// bareLimit times the documented snippet plus one navigation to a bare
// loopback page that posts its fragment to its own server.
func bareLimit(ctx context.Context, org *orgsim.Server, i int) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	got := make(chan time.Time, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><script>fetch("/done",{method:"POST",body:location.hash.slice(1)})</script>`)
	})
	mux.HandleFunc("POST /done", func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- time.Now():
		default:
		}
	})
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	defer hs.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(org.URL()+"/")); err != nil {
		return 0, err
	}
	snippet := fmt.Sprintf(`fetch('/api/v1/entities/users/john.doe/apiTokens', {
  method: 'POST',
  body: JSON.stringify({data: {id: 'bench-limit-%d', type: 'apiToken'}}),
  headers: {'Content-type': 'application/vnd.gooddata.api+json'}
})
.then(res => res.json())
.then(data => location.assign('http://127.0.0.1:%d/cb#' + data.data.attributes.bearerToken)); void 0`, i, ln.Addr().(*net.TCPAddr).Port)
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](snippet)); err != nil {
		return 0, err
	}
	select {
	case t := <-got:
		return t.Sub(start), nil
	case <-time.After(20 * time.Second):
		return 0, fmt.Errorf("no result")
	}
}

// installationKey signs every pairing of the benchmark, as one gdlogin
// installation does.
var installationKey *handoff.InstallationKey

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
