// Command handoff measures what a user waits for in the browser login, in
// real headless Chromium against the emulated organization, and compares it
// with the physical limit of any handoff in the same browser:
//
//   - gdlogin: the built binary runs as its own process
//     (`gdlogin login ORG --no-browser --output token --no-save`). Its start
//     page is opened in a tab, the organization is opened in a fresh tab
//     with the start page's own link, and the bookmark is clicked there (a
//     browser-initiated javascript: navigation under the organization's
//     CSP). Time runs from the click until the token line is read from the
//     process's stdout pipe, and separately until that pipe reaches EOF
//     (what TOKEN=$(gdlogin …) waits for).
//   - limit: in a fresh tab of the same signed-in browser, the documented
//     console snippet with the profile call that finds the user id (GET
//     /api/v1/profile, then POST …/users/{id}/apiTokens), then one top-level
//     navigation to a bare page on 127.0.0.1 that POSTs its fragment to its
//     own server. Time runs from the evaluation until that POST arrives.
//
// The two alternate, pair by pair; it prints both medians in ms and the
// median of the pairwise ratios, for the stdout line and for stdout EOF.
//
// The organization is reached as http://localhost:PORT, a site of its own,
// as every real organization is a site other than 127.0.0.1: the
// navigation to the loopback callback then leaves the organization's site,
// for gdlogin and for the limit alike, and the browser gives the landing
// page a process of its own either way. -site 127.0.0.1 reaches it as
// http://127.0.0.1:PORT instead, the same site as the callback, where only
// gdlogin's page (Cross-Origin-Opener-Policy, SPEC 4) swaps processes.
//
//	go run ./bench/handoff [-pairs 40] [-site localhost|127.0.0.1]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/bench/internal/benchorg"
	"github.com/gdlogin/gdlogin/static"
)

func main() {
	pairs := flag.Int("pairs", 40, "measured pairs (gdlogin run + limit run), at least 15")
	warmup := flag.Int("warmup", 2, "pairs run first and not counted")
	site := flag.String("site", "localhost", "the organization's host name: localhost (a site of its own, as a real organization) or 127.0.0.1 (the callback's site)")
	flag.Parse()
	if *pairs < 15 {
		fmt.Fprintln(os.Stderr, "bench/handoff: -pairs must be at least 15")
		os.Exit(2)
	}
	if err := run(*pairs, *warmup, *site); err != nil {
		fmt.Fprintln(os.Stderr, "bench/handoff:", err)
		os.Exit(1)
	}
}

// sample is one gdlogin run: click to the token line, click to stdout EOF.
type sample struct {
	line, eof time.Duration
	phases    phases
}

// phases splits a run by the landing page's own clock (Navigation and
// Resource Timing, read after the run): click to the navigation's start
// (the script and its API calls), to the page's first byte, to the POST
// leaving, and to the POST's answer.
type phases struct {
	// By the organization tab's network log: the profile call leaving, the
	// token POST leaving and answered, and the navigation to the loopback
	// page being requested.
	profileSent, createSent, createAnswered, navRequested time.Duration
	nav, firstByte, postStart, postEnd                    time.Duration
}

// orgTimes records, from the organization tab's network events, when the
// profile call and the token POST left, when the POST's answer came, and
// when the navigation to the loopback page was requested.
type orgTimes struct {
	mu                                   sync.Mutex
	offset                               time.Duration // wall clock minus the browser's monotonic clock
	profile, create, answered, navigated time.Time
	createID                             network.RequestID
}

func (o *orgTimes) listen(tab context.Context) error {
	return chromedp.Listen(tab, func(ev any) {
		o.mu.Lock()
		defer o.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			at := time.UnixMicro(int64(ev.WallTime.Float64() * 1e6))
			o.offset = at.Sub(time.UnixMicro(int64(ev.Timestamp.Float64() * 1e6)))
			switch u := ev.Request.URL; {
			case strings.HasSuffix(u, "/api/v1/profile") && o.profile.IsZero():
				o.profile = at
			case strings.HasSuffix(u, "/apiTokens") && ev.Request.Method == http.MethodPost:
				o.create, o.createID = at, ev.RequestID
			case strings.HasPrefix(u, "http://127.0.0.1:") && o.navigated.IsZero():
				o.navigated = at
			}
		case *network.EventResponseReceived:
			if ev.RequestID == o.createID {
				o.answered = time.UnixMicro(int64(ev.Timestamp.Float64() * 1e6)).Add(o.offset)
			}
		}
	})
}

// from returns the org tab's times since click.
func (o *orgTimes) from(click time.Time, p phases) phases {
	o.mu.Lock()
	defer o.mu.Unlock()
	since := func(t time.Time) time.Duration {
		if t.IsZero() {
			return 0
		}
		return t.Sub(click)
	}
	p.profileSent, p.createSent, p.createAnswered, p.navRequested = since(o.profile), since(o.create), since(o.answered), since(o.navigated)
	return p
}

// phaseScript reads the landing page's timing, in ms since the epoch.
const phaseScript = `(() => {
  const n = performance.getEntriesByType("navigation")[0];
  const p = performance.getEntriesByType("resource").find(e => e.initiatorType == "fetch") || {};
  const o = performance.timeOrigin;
  return JSON.stringify([o, o + n.responseStart, o + (p.startTime || 0), o + (p.responseEnd || 0)]);
})()`

// readPhases evaluates phaseScript in tab and returns the phases from click.
func readPhases(tab context.Context, click time.Time) phases {
	js, err := chromedp.Run(tab, chromedp.Evaluate[string](phaseScript))
	if err != nil {
		return phases{}
	}
	var at [4]float64
	if json.Unmarshal([]byte(js), &at) != nil {
		return phases{}
	}
	from := func(ms float64) time.Duration {
		return time.UnixMicro(int64(ms * 1000)).Sub(click)
	}
	return phases{nav: from(at[0]), firstByte: from(at[1]), postStart: from(at[2]), postEnd: from(at[3])}
}

func run(pairs, warmup int, site string) error {
	work, err := os.MkdirTemp("", "gdlogin-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "gdlogin")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gdlogin")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build gdlogin: %w", err)
	}
	// Signed in once, as a user would; every tab shares the session cookie.
	org, err := benchorg.Start(site, work)
	if err != nil {
		return err
	}
	defer org.Close()
	orgURL, browser := org.URL, org.Browser

	b := &bench{bin: bin, configDir: filepath.Join(work, "config"), orgURL: orgURL, browser: browser}
	var full []sample
	var limit []time.Duration
	var limitPhases []phases
	for i := range warmup + pairs {
		f, err := b.gdlogin(i, i < warmup)
		if err != nil {
			return fmt.Errorf("gdlogin run %d: %w", i, err)
		}
		l, lp, err := b.limit(i)
		if err != nil {
			return fmt.Errorf("limit run %d: %w", i, err)
		}
		if i >= warmup {
			full, limit, limitPhases = append(full, f), append(limit, l), append(limitPhases, lp)
		}
	}

	var lines, eofs, lineRatios, eofRatios []time.Duration
	for i := range full {
		lines, eofs = append(lines, full[i].line), append(eofs, full[i].eof)
		// Ratios are kept as durations scaled by 1e6, so that one median
		// helper serves both.
		lineRatios = append(lineRatios, time.Duration(float64(full[i].line)/float64(limit[i])*1e6))
		eofRatios = append(eofRatios, time.Duration(float64(full[i].eof)/float64(limit[i])*1e6))
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Printf("date:                          %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Printf("machine:                       %s/%s, %d CPUs\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Printf("pairs:                         %d measured after %d warm-up, alternating, same Chromium, same organization\n", pairs, warmup)
	fmt.Printf("organization:                  %s\n", orgURL)
	fmt.Printf("gdlogin, click to token line:  %s (median)\n", ms(benchorg.Median(lines)))
	fmt.Printf("gdlogin, click to stdout EOF:  %s (median)\n", ms(benchorg.Median(eofs)))
	fmt.Printf("limit, click to POST arrived:  %s (median)\n", ms(benchorg.Median(limit)))
	fmt.Printf("ratio to the token line:       %.2f (median of pairwise ratios; target <= 1.25)\n", float64(benchorg.Median(lineRatios))/1e6)
	fmt.Printf("ratio to stdout EOF:           %.2f (median of pairwise ratios; target <= 1.35)\n", float64(benchorg.Median(eofRatios))/1e6)
	// Where the time goes, by the landing page's clock (medians from the
	// click): the script with its API calls, the page's first byte, the
	// POST leaving it, its answer (gdlogin answers after the verification).
	phase := func(ps []phases, f func(phases) time.Duration) string {
		var d []time.Duration
		for _, p := range ps {
			d = append(d, f(p))
		}
		return ms(benchorg.Median(d))
	}
	var gp []phases
	for _, f := range full {
		gp = append(gp, f.phases)
	}
	for _, row := range []struct {
		name string
		ps   []phases
	}{{"gdlogin", gp}, {"limit", limitPhases}} {
		fmt.Printf("%-8s profile call leaves %s, token POST leaves %s, answered %s, callback navigation requested %s\n", row.name+":",
			phase(row.ps, func(p phases) time.Duration { return p.profileSent }),
			phase(row.ps, func(p phases) time.Duration { return p.createSent }),
			phase(row.ps, func(p phases) time.Duration { return p.createAnswered }),
			phase(row.ps, func(p phases) time.Duration { return p.navRequested }))
		fmt.Printf("%-8s navigation starts %s, first byte %s, POST leaves %s, POST answered %s\n", "",
			phase(row.ps, func(p phases) time.Duration { return p.nav }),
			phase(row.ps, func(p phases) time.Duration { return p.firstByte }),
			phase(row.ps, func(p phases) time.Duration { return p.postStart }),
			phase(row.ps, func(p phases) time.Duration { return p.postEnd }))
	}
	return nil
}

type bench struct {
	bin, configDir string
	orgURL         string
	browser        context.Context
}

// gdlogin times one login by the real binary. A warm-up run may meet the
// confirmation panel of a new installation (SPEC 3.11) and confirms it, as
// a first-time user does; a measured run must not meet it.
func (b *bench) gdlogin(i int, warm bool) (sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.bin, "login", b.orgURL, "--no-browser", "--output", "token", "--no-save",
		"--store", "file", "--token-id", fmt.Sprintf("bench-gdlogin-%d", i), "--timeout", "1m")
	cmd.Env = append(os.Environ(), "GDLOGIN_CONFIG_DIR="+b.configDir, "NO_COLOR=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return sample{}, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return sample{}, err
	}
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	startURL := make(chan string, 1)
	var said strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			said.WriteString(line + "\n")
			if u := strings.TrimSpace(line); strings.HasPrefix(u, "http://127.0.0.1:") && strings.Contains(u, "/?k=") {
				select {
				case startURL <- u:
				default:
				}
			}
		}
	}()
	var u string
	select {
	case u = <-startURL:
	case <-ctx.Done():
		return sample{}, fmt.Errorf("no start address on stderr")
	}

	// The user's start page stays open, polling the status, as it does for
	// a user; the organization opens in a fresh tab with its link.
	startTab, closeStart := chromedp.NewContext(b.browser)
	defer closeStart()
	if err := chromedp.Do(startTab, chromedp.Navigate(u)); err != nil {
		return sample{}, fmt.Errorf("start page: %w", err)
	}
	link, err := chromedp.Run(startTab, chromedp.AttributeValue(chromedp.CSS(`a[data-testid="open-org"]`), "href"))
	if err != nil || !link.Exists {
		return sample{}, fmt.Errorf("start page: no open-org link (%v)", err)
	}
	href := link.Value
	orgTab, closeOrg := chromedp.NewContext(b.browser)
	defer closeOrg()
	if err := chromedp.Do(orgTab, chromedp.Navigate(href), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		return sample{}, fmt.Errorf("open the organization: %w", err)
	}

	var times orgTimes
	if err := times.listen(orgTab); err != nil {
		return sample{}, err
	}

	type read struct {
		line     string
		lineAt   time.Time
		eofAt    time.Time
		readErrs error
	}
	got := make(chan read, 1)
	go func() {
		r := bufio.NewReader(stdout)
		var out read
		out.line, out.readErrs = r.ReadString('\n')
		out.lineAt = time.Now()
		_, _ = io.Copy(io.Discard, r)
		out.eofAt = time.Now()
		got <- out
	}()

	click := time.Now()
	if _, err := chromedp.Call(orgTab, page.Navigate, page.NavigateParams{URL: static.Bookmarklet()}); err != nil {
		return sample{}, fmt.Errorf("click the bookmark: %w", err)
	}
	if warm {
		// A new installation is confirmed once per browser; later runs go
		// straight on. Without the panel this finds nothing and moves on.
		confirmCtx, cancelConfirm := context.WithTimeout(orgTab, 3*time.Second)
		_ = chromedp.Do(confirmCtx, chromedp.Click(chromedp.CSS(`[data-testid="gdlogin-confirm"]`)))
		cancelConfirm()
	}
	select {
	case r := <-got:
		if strings.TrimSpace(r.line) == "" {
			return sample{}, fmt.Errorf("no token on stdout (%v); gdlogin said:\n%s", r.readErrs, said.String())
		}
		if err := cmd.Wait(); err != nil {
			return sample{}, fmt.Errorf("gdlogin: %w; it said:\n%s", err, said.String())
		}
		// The pages still reach their final state; let the callback page
		// finish before the next run so that nothing spills over.
		waitCtx, cancelWait := context.WithTimeout(orgTab, 5*time.Second)
		_ = chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="status"][data-state="success"]`)))
		cancelWait()
		return sample{r.lineAt.Sub(click), r.eofAt.Sub(click), times.from(click, readPhases(orgTab, click))}, nil
	case <-ctx.Done():
		text, _ := chromedp.Run(orgTab, chromedp.Evaluate[string](`location.href + " | " + document.body.innerText.slice(0, 400)`))
		return sample{}, fmt.Errorf("no token within a minute; the tab shows %s; gdlogin said:\n%s", text, said.String())
	}
}

// limit times the documented snippet, with the profile call, and one
// navigation to a bare loopback page that posts its fragment to its own
// server, until that POST arrives.
func (b *bench) limit(i int) (time.Duration, phases, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, phases{}, err
	}
	arrived := make(chan time.Time, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><script>fetch("/done",{method:"POST",body:location.hash.slice(1)})</script>`)
	})
	mux.HandleFunc("POST /done", func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- time.Now():
		default:
		}
	})
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	defer hs.Close()

	tab, closeTab := chromedp.NewContext(b.browser)
	defer closeTab()
	if err := chromedp.Do(tab, chromedp.Navigate(b.orgURL+"/"), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		return 0, phases{}, err
	}
	var times orgTimes
	if err := times.listen(tab); err != nil {
		return 0, phases{}, err
	}
	snippet := fmt.Sprintf(`fetch('/api/v1/profile', {headers: {'X-Requested-With': 'XMLHttpRequest'}})
.then(res => res.json())
.then(me => fetch('/api/v1/entities/users/' + encodeURIComponent(me.userId) + '/apiTokens', {
  method: 'POST',
  body: JSON.stringify({data: {id: 'bench-limit-%d', type: 'apiToken'}}),
  headers: {'Content-type': 'application/vnd.gooddata.api+json', 'X-Requested-With': 'XMLHttpRequest'}
}))
.then(res => res.json())
.then(data => location.assign('http://127.0.0.1:%d/cb#' + data.data.attributes.bearerToken)); void 0`, i, ln.Addr().(*net.TCPAddr).Port)
	start := time.Now()
	if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](snippet)); err != nil {
		return 0, phases{}, err
	}
	select {
	case t := <-arrived:
		waitCtx, cancelWait := context.WithTimeout(tab, 5*time.Second)
		_ = chromedp.Do(waitCtx, chromedp.Poll[chromedp.Void](`performance.getEntriesByType("resource").some(e => e.initiatorType == "fetch" && e.responseEnd > 0)`))
		cancelWait()
		return t.Sub(start), times.from(start, readPhases(tab, start)), nil
	case <-time.After(20 * time.Second):
		return 0, phases{}, errors.New("the bare page's POST never arrived")
	}
}
