// Command pagecost times, in real headless Chromium on the emulated
// organization's page, each step that the handoff script takes before its
// first API call (SPEC 3.3 and 3.11), so that the part of the handoff that
// the documented snippet does not pay has figures of its own:
//
//   - click: the bookmark click (a browser-initiated javascript:
//     navigation) until the script runs;
//   - panel: building the status panel and putting it in the page;
//   - replaceState: taking the pairing off the address bar;
//   - localStorage: the first read of gdlogin.trusted, then a second read
//     (the first read loads the organization's whole storage area into the
//     page, synchronously);
//   - verify: importing the installation's public key and verifying the
//     pairing's ECDSA P-256 signature;
//   - digest: the SHA-256 of the confirmation code;
//   - profile: GET /api/v1/profile, sent until answered (the snippet pays
//     this too).
//
// Each run is a fresh tab of one signed-in browser, after its page has
// loaded, as the bookmark is clicked on a freshly opened organization tab.
// It prints the median of each step in ms.
//
//	go run ./bench/pagecost [-runs 25] [-site localhost|127.0.0.1]
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/bench/internal/benchorg"
)

// steps names the marks the probe takes, in order, after the first one
// (the script's start).
var steps = []string{"panel", "replaceState", "localStorage, first read", "localStorage, second read", "verify", "digest", "profile"}

// probe is the handoff script's pre-API work, step by step, with a mark
// after each; %s are the public key, the signature and the signed text.
const probe = `(async () => {
  const T = [performance.timeOrigin + performance.now()], mark = () => T.push(performance.timeOrigin + performance.now());
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt());
  const panel = document.createElement("div");
  panel.style = "position:fixed;z-index:2147483647;top:0;right:0;padding:1em;background:Canvas;color:CanvasText;border:solid";
  const status = document.createElement("p");
  status.innerText = "gdlogin";
  panel.append(status);
  document.body.append(panel);
  mark();
  history.replaceState(history.state, "", location.pathname + location.search);
  mark();
  let trusted;
  try { trusted = localStorage["gdlogin.trusted"]; } catch {}
  mark();
  try { trusted = localStorage["gdlogin.trusted"]; } catch {}
  mark();
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("raw", b64("%s"), alg, false, ["verify"]);
  const ok = await crypto.subtle.verify(alg, key, b64("%s"), new TextEncoder().encode("%s"));
  mark();
  await crypto.subtle.digest("SHA-256", new Uint8Array(97));
  mark();
  await fetch("/api/v1/profile", { cache: "no-store", headers: { "X-Requested-With": "XMLHttpRequest" } });
  mark();
  window.__pagecost = ok ? T : [];
})(); void 0`

func main() {
	runs := flag.Int("runs", 25, "measured runs, each in a fresh tab")
	site := flag.String("site", "localhost", "the organization's host name: localhost or 127.0.0.1")
	flag.Parse()
	if err := run(*runs, *site); err != nil {
		fmt.Fprintln(os.Stderr, "bench/pagecost:", err)
		os.Exit(1)
	}
}

// signed is a fresh P-256 key's public key, and its signature over text,
// as the probe needs them (standard base64, r||s).
func signed(text string) (pub, sig string, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256([]byte(text))
	r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
	if err != nil {
		return "", "", err
	}
	raw := append(append([]byte{4}, k.X.FillBytes(make([]byte, 32))...), k.Y.FillBytes(make([]byte, 32))...)
	rs := append((&big.Int{}).Set(r).FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	return base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(rs), nil
}

func run(runs int, site string) error {
	work, err := os.MkdirTemp("", "gdlogin-pagecost-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	org, err := benchorg.Start(site, work)
	if err != nil {
		return err
	}
	defer org.Close()
	orgURL, browser := org.URL, org.Browser

	text := "gdlogin pairing v1|1|40000|state|pub|gdlogin-laptop|" + orgURL + "|id"
	pub, sig, err := signed(text)
	if err != nil {
		return err
	}
	bookmark := "javascript:" + url.PathEscape(fmt.Sprintf(probe, pub, sig, text))

	times := make([][]time.Duration, len(steps)+1)
	for i := 0; i < runs+2; i++ {
		marks, click, err := once(browser, orgURL, bookmark)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		if i < 2 { // warm-up
			continue
		}
		times[0] = append(times[0], ms(marks[0])-click)
		for k := range steps {
			times[k+1] = append(times[k+1], ms(marks[k+1])-ms(marks[k]))
		}
	}
	fmt.Printf("Chromium, organization on %s, %d fresh tabs, medians:\n", site, runs)
	fmt.Printf("  %-28s %6.1f ms\n", "click until the script runs", benchorg.Median(times[0]).Seconds()*1000)
	for k, name := range steps {
		fmt.Printf("  %-28s %6.1f ms\n", name, benchorg.Median(times[k+1]).Seconds()*1000)
	}
	return nil
}

// ms turns a browser time in epoch milliseconds into a duration since the
// epoch.
func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// once opens a fresh organization tab, clicks the probe bookmark and
// returns its marks and the click's time.
func once(browser context.Context, orgURL, bookmark string) ([]float64, time.Duration, error) {
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(orgURL+"/"), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		return nil, 0, err
	}
	click := time.Duration(time.Now().UnixNano())
	if _, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: bookmark}); err != nil {
		return nil, 0, err
	}
	marks, err := chromedp.Run(ctx, chromedp.Poll[[]float64](`window.__pagecost`))
	if err != nil {
		return nil, 0, err
	}
	if len(marks) != len(steps)+1 {
		return nil, 0, fmt.Errorf("the probe returned %d marks (a signature that did not verify returns none)", len(marks))
	}
	return marks, click, nil
}
