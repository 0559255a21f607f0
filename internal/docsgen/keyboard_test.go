package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// stop is one place the Tab key reaches on the start page.
type stop struct {
	Tag     string `json:"tag"`
	TestID  string `json:"testid"`
	Name    string `json:"name"`
	Outline string `json:"outline"`
	Width   string `json:"width"`
	Open    bool   `json:"open"`
}

const activeElement = `(() => {
	const e = document.activeElement, s = getComputedStyle(e);
	return JSON.stringify({tag: e.tagName.toLowerCase(), testid: e.dataset.testid || "",
		name: (e.getAttribute("aria-label") || e.textContent).trim().replace(/\s+/g, " ").slice(0, 60),
		outline: s.outlineStyle, width: s.outlineWidth, open: e.tagName === "SUMMARY" && e.parentElement.open});
})()`

// TestStartPageKeyboard uses the start page with the keyboard only: Tab
// reaches every control in order with a visible focus ring, Enter opens
// each disclosure and reaches the copy buttons inside, a copy button
// answers, and the bookmarklet explains itself when activated here.
func TestStartPageKeyboard(t *testing.T) {
	org := startOrg(t)
	b := newBrowser(t, org.tlsAddr)
	login := startLogin(t, org)
	console := &consoleLog{}
	console.watch(t, b.Ctx, login.Origin())
	run(t, b.Ctx, chromedp.Navigate(login.StartURL()))
	waitState(t, b.Ctx, "waiting")

	var stops []stop
	for i := 0; i < 40; i++ {
		run(t, b.Ctx, chromedp.KeyEvent(kb.Tab))
		var s stop
		if err := json.Unmarshal([]byte(evalString(t, b.Ctx, activeElement)), &s); err != nil {
			t.Fatal(err)
		}
		if s.Tag == "body" {
			break // past the last control
		}
		if s.Outline == "none" || s.Width == "0px" {
			t.Errorf("%s %q has no visible focus (outline %s %s)", s.Tag, s.Name, s.Outline, s.Width)
		}
		if s.Tag == "summary" && !s.Open {
			run(t, b.Ctx, chromedp.KeyEvent(kb.Enter))
		}
		stops = append(stops, s)
	}
	var names []string
	for _, s := range stops {
		names = append(names, s.Tag+":"+s.TestID+":"+s.Name)
	}
	order := []string{
		"a::Skip to content",
		"a:open-org:Open analytics.example.com (opens in a new tab)",
		"a:bookmarklet:gdlogin",
		"summary::How to add the bookmark",
		"button::Copy the bookmark's address",
		"summary::Paste a snippet into the browser console",
		"pre:snippet:Console snippet",
		"button::Copy the console snippet",
		"summary::The organization's tab asks for a pairing code",
		"pre:pairing:Pairing code",
		"button::Copy the pairing code",
	}
	if strings.Join(names, "\n") != strings.Join(order, "\n") {
		t.Errorf("Tab reaches:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(order, "\n"))
	}

	// Enter on a copy button copies, or selects the text to copy by hand.
	run(t, b.Ctx, chromedp.Focus(chromedp.CSS(`[data-copy="pairing"]`)), chromedp.KeyEvent(kb.Enter))
	said, err := chromedp.Run(b.Ctx, chromedp.Poll[string](`(() => {
		const label = document.querySelector('[data-copy="pairing"] .copy-label').textContent;
		const announced = document.querySelector('[data-role="announce"]').textContent;
		return label !== "Copy" && announced ? label + " | " + announced : "";
	})()`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Errorf("the copy button did not answer Enter, or nothing was announced: %v", err)
	}
	t.Logf("copy button: %s", said)
	// Enter on the bookmarklet here shows what it is for, and runs nothing.
	run(t, b.Ctx, chromedp.Focus(chromedp.CSS(`[data-testid="bookmarklet"]`)), chromedp.KeyEvent(kb.Enter))
	if hidden := evalString(t, b.Ctx, `String(document.querySelector('[data-role="bookmarklet-notice"]').hidden)`); hidden != "false" {
		t.Errorf("the bookmarklet notice did not show")
	}
	if loc := evalString(t, b.Ctx, `location.href`); loc != login.StartURL() {
		t.Errorf("the start page navigated to %s", loc)
	}
	for _, m := range console.errors() {
		t.Errorf("console: %s", m)
	}
}
