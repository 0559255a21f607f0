package browsertest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestNewRendersAPage proves the browser starts with the agreed flags and
// runs script in a loopback page (a secure context, where WebCrypto exists).
func TestNewRendersAPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>ok</title><p id=p>hello</p>`))
	}))
	defer srv.Close()
	b := New(t, Options{PublicHosts: []string{strings.TrimPrefix(srv.URL, "http://")}})
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.getElementById('p').textContent + ':' + isSecureContext + ':' + typeof crypto.subtle`))
	if err != nil {
		t.Fatal(err)
	}
	if got != "hello:true:object" {
		t.Fatalf("page evaluated to %q, want hello:true:object", got)
	}
}
