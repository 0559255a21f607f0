package opener

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

type call struct {
	name string
	args []string
}

func recording(calls *[]call, fail map[string]bool) func(string, []string, io.Writer) error {
	return func(name string, args []string, _ io.Writer) error {
		*calls = append(*calls, call{name, args})
		if fail[name] {
			return errors.New(name + " failed")
		}
		return nil
	}
}

func TestOnlyHTTPURLsAreOpened(t *testing.T) {
	var calls []call
	o := Opener{run: recording(&calls, nil), system: func(string, io.Writer) error { t.Fatal("system opener called"); return nil }, Command: "browser"}
	for _, u := range []string{
		"javascript:alert(1)",
		"file:///etc/passwd",
		"--help",
		"http://127.0.0.1:1234/ --incognito",
		"http://127.0.0.1:1234/\"&calc.exe",
		"http://127.0.0.1:1234/'$(id)'",
		"http://127.0.0.1:1234/`id`",
		"http://127.0.0.1:1234/\nrm",
		"ms-settings:",
		"//127.0.0.1/",
	} {
		if err := o.Open(u); !errors.Is(err, ErrNotHTTP) {
			t.Errorf("%q: err %v, want ErrNotHTTP", u, err)
		}
	}
	if len(calls) != 0 {
		t.Fatalf("opener ran for a refused URL: %v", calls)
	}
}

func TestBrowserVariable(t *testing.T) {
	var calls []call
	env := map[string]string{"BROWSER": "firstbrowser --new-window:second %s --flag"}
	o := Opener{Getenv: func(k string) string { return env[k] }, run: recording(&calls, map[string]bool{"firstbrowser": true})}
	u := "http://127.0.0.1:4321/?k=abc&x=1"
	if err := o.Open(u); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("calls %v", calls)
	}
	if calls[0].name != "firstbrowser" || strings.Join(calls[0].args, "|") != "--new-window|"+u {
		t.Errorf("first %v", calls[0])
	}
	if calls[1].name != "second" || strings.Join(calls[1].args, "|") != u+"|--flag" {
		t.Errorf("second %v", calls[1])
	}
}

func TestCommandOverridesBrowserVariable(t *testing.T) {
	var calls []call
	o := Opener{Command: "mine", Getenv: func(string) string { return "other" }, run: recording(&calls, nil)}
	if err := o.Open("https://analytics.example.com/"); err != nil || len(calls) != 1 || calls[0].name != "mine" {
		t.Fatalf("err %v calls %v", err, calls)
	}
}

func TestSystemOpenerWithoutBrowserVariable(t *testing.T) {
	var got string
	o := Opener{Getenv: func(string) string { return "" }, system: func(u string, _ io.Writer) error { got = u; return nil }}
	if err := o.Open("http://127.0.0.1:1/"); err != nil || got != "http://127.0.0.1:1/" {
		t.Fatalf("err %v got %q", err, got)
	}
}

func TestFailureIsReported(t *testing.T) {
	o := Opener{system: func(string, io.Writer) error { return errors.New("xdg-open: no display") }}
	if err := o.Open("http://127.0.0.1:1/"); err == nil || !strings.Contains(err.Error(), "no display") {
		t.Fatalf("err %v", err)
	}
}

// TestHangingOpenerDoesNotBlock proves Open returns although the opener
// never does. It does not measure time; it only needs Open to come back.
func TestHangingOpenerDoesNotBlock(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	o := Opener{Wait: 50 * time.Millisecond, system: func(string, io.Writer) error { <-release; return nil }}
	done := make(chan error, 1)
	go func() { done <- o.Open("http://127.0.0.1:1/") }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("err %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open did not return while the opener hung")
	}
}
