package opener

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gdlogin/gdlogin/internal/shellquote"
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
		"http://127.0.0.1:1234/?k=1&calc.exe",
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
	u := "http://127.0.0.1:4321/?k=a-b_c~d.e%2F"
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

// Kernel version texts as /proc/version shows them.
const (
	procVersionWSL1  = "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep 11 14:32:00 PST 2021\n"
	procVersionWSL2  = "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 12.2.0, GNU ld (GNU Binutils) 2.40) #1 SMP Fri Mar 29 23:14:13 UTC 2024\n"
	procVersionLinux = "Linux version 6.8.0-45-generic (buildd@lcy02-amd64-115) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024\n"
)

// fakeProc writes a fake /proc/version and returns its path; an empty text
// means the file does not exist.
func fakeProc(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "version")
	if text != "" {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestDetectWSL(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       bool
	}{
		{"WSL 1", procVersionWSL1, true},
		{"WSL 2", procVersionWSL2, true},
		{"WSL 2 osrelease", "5.15.153.1-microsoft-standard-WSL2\n", true},
		{"custom WSL kernel", "Linux version 6.6.36.3-WSL-custom (me@example.com)\n", true},
		{"plain Linux", procVersionLinux, false},
		{"missing file", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := detectWSL([]string{fakeProc(t, c.text)}); got != c.want {
				t.Errorf("detectWSL = %v, want %v", got, c.want)
			}
		})
	}
	// One file missing, the next one telling: WSL.
	if !detectWSL([]string{fakeProc(t, ""), fakeProc(t, procVersionWSL2)}) {
		t.Error("a missing first probe hid the second one")
	}
}

// wslOpener is an Opener that believes it runs in WSL (or not, per
// procVersion), with the programs in onPath, recording what it runs.
func wslOpener(t *testing.T, procVersion string, onPath []string, calls *[]call, fail map[string]bool) (Opener, *[]string) {
	t.Helper()
	var system []string
	return Opener{
		Getenv:    func(string) string { return "" },
		wslProbes: []string{fakeProc(t, procVersion)},
		lookPath: func(name string) (string, error) {
			if slices.Contains(onPath, name) {
				return "/usr/bin/" + name, nil
			}
			return "", exec.ErrNotFound
		},
		exists: func(string) bool { return false },
		run:    recording(calls, fail),
		system: func(u string, _ io.Writer) error {
			system = append(system, u)
			if fail["system"] {
				return errors.New("xdg-open: no display")
			}
			return nil
		},
	}, &system
}

const startURL = "http://127.0.0.1:43117/?k=3kO1-x_Yz"

func TestWSLOpensWithWslview(t *testing.T) {
	var calls []call
	o, system := wslOpener(t, procVersionWSL2, []string{"wslview", "powershell.exe"}, &calls, nil)
	if err := o.Open(startURL); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].name != "wslview" || !slices.Equal(calls[0].args, []string{startURL}) || len(*system) != 0 {
		t.Fatalf("calls %q, system %q; want only wslview %s", calls, *system, startURL)
	}
}

func TestWSLOpensWithPowerShellWithoutWslview(t *testing.T) {
	for _, proc := range []string{procVersionWSL1, procVersionWSL2} {
		var calls []call
		o, system := wslOpener(t, proc, []string{"powershell.exe"}, &calls, nil)
		if err := o.Open(startURL); err != nil {
			t.Fatal(err)
		}
		want := []string{"-NoProfile", "-NonInteractive", "-Command", "Start-Process 'http://127.0.0.1:43117/?k=3kO1-x_Yz'"}
		if len(calls) != 1 || calls[0].name != "powershell.exe" || !slices.Equal(calls[0].args, want) || len(*system) != 0 {
			t.Fatalf("calls %q, system %q; want powershell.exe %q", calls, *system, want)
		}
	}
}

// TestWSLFindsPowerShellOffPath: WSL set up without the Windows PATH still
// reaches powershell.exe at its fixed place.
func TestWSLFindsPowerShellOffPath(t *testing.T) {
	var calls []call
	o, _ := wslOpener(t, procVersionWSL2, nil, &calls, nil)
	o.exists = func(p string) bool { return p == windowsPowerShell }
	if err := o.Open(startURL); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].name != windowsPowerShell {
		t.Fatalf("calls %q", calls)
	}
}

// TestFailingOpenerFallsThrough: wslview fails, then powershell.exe, then
// the system opener is tried; the first that works ends the search.
func TestFailingOpenerFallsThrough(t *testing.T) {
	var calls []call
	o, system := wslOpener(t, procVersionWSL2, []string{"wslview", "powershell.exe"}, &calls, map[string]bool{"wslview": true})
	if err := o.Open(startURL); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].name != "wslview" || calls[1].name != "powershell.exe" || len(*system) != 0 {
		t.Fatalf("calls %q, system %q", calls, *system)
	}

	calls = nil
	o, system = wslOpener(t, procVersionWSL2, []string{"wslview", "powershell.exe"}, &calls, map[string]bool{"wslview": true, "powershell.exe": true})
	if err := o.Open(startURL); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || !slices.Equal(*system, []string{startURL}) {
		t.Fatalf("calls %q, system %q", calls, *system)
	}

	calls = nil
	o, _ = wslOpener(t, procVersionWSL2, []string{"wslview", "powershell.exe"}, &calls, map[string]bool{"wslview": true, "powershell.exe": true, "system": true})
	err := o.Open(startURL)
	for _, want := range []string{"wslview failed", "powershell.exe failed", "no display"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v, want it to name %q", err, want)
		}
	}
}

func TestPlainLinuxUsesTheSystemOpener(t *testing.T) {
	for _, proc := range []string{procVersionLinux, ""} {
		var calls []call
		o, system := wslOpener(t, proc, []string{"wslview", "powershell.exe"}, &calls, nil)
		if err := o.Open(startURL); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 0 || !slices.Equal(*system, []string{startURL}) {
			t.Fatalf("calls %q, system %q", calls, *system)
		}
	}
}

func TestBrowserVariableAndCommandWinOverWSL(t *testing.T) {
	var calls []call
	o, system := wslOpener(t, procVersionWSL2, []string{"wslview", "powershell.exe"}, &calls, nil)
	o.Getenv = func(k string) string { return map[string]string{"BROWSER": "firefox"}[k] }
	if err := o.Open(startURL); err != nil {
		t.Fatal(err)
	}
	o.Command = "chromium --incognito"
	if err := o.Open(startURL); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].name != "firefox" || calls[1].name != "chromium" || len(*system) != 0 {
		t.Fatalf("calls %q, system %q", calls, *system)
	}
}

// hostileURLs could turn an opener into a command runner if they got
// through: quotes that end a quoted string, substitutions, separators,
// options, other schemes.
var hostileURLs = []string{
	"javascript:alert(1)",
	"JavaScript:alert(document.cookie)//http://127.0.0.1/",
	"file:///etc/passwd",
	"file://C:/Windows/System32/calc.exe",
	"-NoProfile",
	"--help",
	"-http://127.0.0.1:1/",
	" http://127.0.0.1:1/",
	"http://127.0.0.1:1/'; Start-Process calc; '",
	"http://127.0.0.1:1/\u2019; Start-Process calc; \u2019",
	"http://127.0.0.1:1/\"&calc.exe",
	"http://127.0.0.1:1/$(calc.exe)",
	"http://127.0.0.1:1/?k=$(Invoke-Expression calc)",
	"http://127.0.0.1:1/`calc.exe`",
	"http://127.0.0.1:1/?a=1&calc.exe",
	"http://127.0.0.1:1/|calc.exe",
	"http://127.0.0.1:1/;calc.exe",
	"http://127.0.0.1:1/^&calc",
	"http://127.0.0.1:1/<x>",
	"http://127.0.0.1:1/\ncalc.exe",
	"http://127.0.0.1:1/\r\ncalc.exe",
	"http://127.0.0.1:1/\x00",
	"http://127.0.0.1:1/ --new-window",
	"http://127.0.0.1:1/\\..\\calc.exe",
	"http://127.0.0.1:1/%zz",
	"ms-settings:",
	"shell:startup",
	"//127.0.0.1/",
	"http:///nohost",
	"",
}

// TestHostileURLsNeverReachAnOpener tries every hostile URL with every
// kind of opener: none runs.
func TestHostileURLsNeverReachAnOpener(t *testing.T) {
	for _, setup := range []struct {
		name, proc, browserVar, command string
		onPath                          []string
	}{
		{"command", procVersionLinux, "", "mybrowser %s", nil},
		{"BROWSER", procVersionLinux, "mybrowser:other", "", nil},
		{"WSL wslview", procVersionWSL2, "", "", []string{"wslview", "powershell.exe"}},
		{"WSL powershell", procVersionWSL1, "", "", []string{"powershell.exe"}},
		{"system", procVersionLinux, "", "", nil},
	} {
		t.Run(setup.name, func(t *testing.T) {
			var calls []call
			o, system := wslOpener(t, setup.proc, setup.onPath, &calls, nil)
			o.Getenv = func(k string) string { return map[string]string{"BROWSER": setup.browserVar}[k] }
			o.Command = setup.command
			for _, u := range hostileURLs {
				if err := o.Open(u); !errors.Is(err, ErrNotHTTP) {
					t.Errorf("%q: err %v, want ErrNotHTTP", u, err)
				}
			}
			if len(calls) != 0 || len(*system) != 0 {
				t.Fatalf("an opener ran for a refused URL: calls %q, system %q", calls, *system)
			}
			// The same opener still opens gdlogin's own kind of URL.
			if err := o.Open(startURL); err != nil || len(calls)+len(*system) == 0 {
				t.Fatalf("a plain URL: err %v, calls %q, system %q", err, calls, *system)
			}
		})
	}
}

func TestQuotePowerShell(t *testing.T) {
	for in, want := range map[string]string{
		startURL:         "'" + startURL + "'",
		"a'b":            "'a''b'",
		"''":             "''''''",
		"a\u2018b\u2019": "'a\u2018\u2018b\u2019\u2019'",
		"$(calc) `x` &":  "'$(calc) `x` &'",
	} {
		if got := shellquote.PowerShell(in); got != want {
			t.Errorf("shellquote.PowerShell(%q) = %q, want %q", in, got, want)
		}
		if got, rest, ok := readPowerShellLiteral(shellquote.PowerShell(in)); !ok || got != in || rest != "" {
			t.Errorf("%q reads back as %q, rest %q, ok %v", in, got, rest, ok)
		}
	}
}

// FuzzQuotePowerShell: whatever the text, PowerShell reads the quoted form
// back as exactly that text and one string literal, with nothing after it
// that it could run.
func FuzzQuotePowerShell(f *testing.F) {
	for _, s := range append(slices.Clone(hostileURLs), startURL, "'", "\u201b'\u2018") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		got, rest, ok := readPowerShellLiteral(shellquote.PowerShell(s))
		if !ok || got != s || rest != "" {
			t.Fatalf("%q reads back as %q, rest %q, ok %v", s, got, rest, ok)
		}
	})
}

// readPowerShellLiteral reads one single-quoted string literal the way
// PowerShell's tokenizer does: any of ' and U+2018..U+201B opens and closes
// it, and two of them in a row stand for one. It returns the value and what
// follows the literal.
func readPowerShellLiteral(src string) (value, rest string, ok bool) {
	isQuote := func(r rune) bool { return r == '\'' || r >= '\u2018' && r <= '\u201b' }
	rs := []rune(src)
	if len(rs) == 0 || !isQuote(rs[0]) {
		return "", src, false
	}
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		if !isQuote(rs[i]) {
			b.WriteRune(rs[i])
			continue
		}
		if i+1 < len(rs) && isQuote(rs[i+1]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		return b.String(), string(rs[i+1:]), true
	}
	return "", "", false
}

// TestCommandWithQuotedPath: --browser-command splits as a shell would, so
// a quoted path with spaces stays one word and the URL one argument.
func TestCommandWithQuotedPath(t *testing.T) {
	var calls []call
	o := Opener{Command: `"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" --new-window`, run: recording(&calls, nil)}
	if err := o.Open(startURL); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].name != "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" ||
		!slices.Equal(calls[0].args, []string{"--new-window", startURL}) {
		t.Fatalf("calls %q", calls)
	}
	calls = nil
	o.Command = `'my browser' --url=%s --profile 'Work Profile'`
	if err := o.Open(startURL); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].name != "my browser" || !slices.Equal(calls[0].args, []string{"--url=" + startURL, "--profile", "Work Profile"}) {
		t.Fatalf("calls %q", calls)
	}
	o.Command = `"/unclosed/quote --new-window`
	if err := o.Open(startURL); err == nil || !strings.Contains(err.Error(), "cannot be split into words") {
		t.Fatalf("unclosed quote: %v", err)
	}
}
