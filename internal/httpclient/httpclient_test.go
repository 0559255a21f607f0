package httpclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newClient(t *testing.T, cfg Config) *http.Client {
	t.Helper()
	hc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return hc
}

func get(t *testing.T, hc *http.Client, url string) ([]byte, *http.Response, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	res, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return b, res, err
}

func TestBodyCap(t *testing.T) {
	size := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(strings.Repeat("a", size)))
	}))
	defer ts.Close()
	hc := newClient(t, Config{MaxBody: 1000})

	size = 1000
	b, _, err := get(t, hc, ts.URL)
	if err != nil || len(b) != 1000 {
		t.Fatalf("exactly the cap: %d bytes, %v", len(b), err)
	}
	size = 1001
	b, _, err = get(t, hc, ts.URL)
	var tl *BodyTooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1000 || len(b) != 1000 {
		t.Fatalf("one byte over: %d bytes, %v", len(b), err)
	}
	if want := "the answer of " + ts.URL + " is larger than 1000 bytes"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

func TestUserAgentAndRedirects(t *testing.T) {
	var agents []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents = append(agents, r.Header.Get("User-Agent"))
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}
	}))
	defer ts.Close()
	hc := newClient(t, Config{UserAgent: "gdlogin/1.2.3"})
	_, res, err := get(t, hc, ts.URL+"/moved")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusFound {
		t.Errorf("status %d: the redirect was followed", res.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	req.Header.Set("User-Agent", "own")
	if res, err := hc.Do(req); err == nil {
		res.Body.Close()
	}
	if len(agents) != 2 || agents[0] != "gdlogin/1.2.3" || agents[1] != "own" {
		t.Errorf("User-Agent headers %q", agents)
	}
	if req.Header.Get("User-Agent") != "own" {
		t.Error("the caller's request was changed")
	}
}

func TestCAFileErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{CACertFile: bad}); err == nil || err.Error() != "the --ca-cert file "+bad+" holds no PEM certificate" {
		t.Errorf("bad CA file: %v", err)
	}
	if _, err := New(Config{CACertFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil || !strings.HasPrefix(err.Error(), "cannot read the --ca-cert file ") {
		t.Errorf("missing CA file: %v", err)
	}
}

// TestTimeoutCoversTheBody: a server that sends its headers at once and
// then trickles its body forever is cut off by Timeout.
func TestTimeoutCoversTheBody(t *testing.T) {
	stop := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		for {
			w.Write([]byte("a"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}))
	defer ts.Close()
	defer close(stop)
	hc := newClient(t, Config{Timeout: 300 * time.Millisecond})
	_, _, err := get(t, hc, ts.URL)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err %v, want a timeout", err)
	}
}
