// Package proxytest runs a real HTTP proxy, Debian's tinyproxy, for tests
// that must prove gdlogin's requests take the way a corporate network
// makes them take: HTTPS_PROXY, CONNECT, NO_PROXY.
//
// Each proxy listens on a free 127.0.0.1 port with a private configuration
// and log file in a temporary directory, and is stopped when the test ends.
// Its log is the proof: every request line it received ("CONNECT
// analytics.example.com:PORT HTTP/1.1") is in it.
//
// A proxy resolves the host names of CONNECT requests itself. For test host
// names such as analytics.example.com, Options.Hosts gives the proxy a
// private /etc/hosts: tinyproxy then runs in its own mount namespace
// (unshare(1), as an unprivileged user in a user namespace too) where a
// temporary hosts file is bind-mounted over /etc/hosts. The system's
// /etc/hosts is never touched.
//
// Locally a missing tinyproxy (or unshare) skips the test; under CI=true it
// fails it.
package proxytest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds the wait for tinyproxy to accept connections.
const startTimeout = 15 * time.Second

// Options configure a proxy.
type Options struct {
	// Hosts maps host names to IP addresses for the proxy's own name
	// resolution, e.g. {"analytics.example.com": "127.0.0.1"}.
	Hosts map[string]string
}

// Proxy is a running tinyproxy.
type Proxy struct {
	// URL is the proxy's address for HTTPS_PROXY: http://127.0.0.1:PORT.
	URL string
	// Addr is 127.0.0.1:PORT.
	Addr string
	// LogFile is tinyproxy's log.
	LogFile string

	cmd     *exec.Cmd
	stderr  *lockedBuffer
	exited  chan struct{}
	waitErr error
}

// skipOrFail skips locally and fails under CI=true.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI must provide it (scripts/install-test-tools installs tinyproxy)")
	}
	t.Skip(msg)
}

// Require returns the path of tinyproxy, or skips (fails under CI=true)
// when it is not installed.
func Require(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("GDLOGIN_TINYPROXY"), "/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"} {
		if p != "" {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	if p, err := exec.LookPath("tinyproxy"); err == nil {
		return p
	}
	skipOrFail(t, "tinyproxy not found (looked at $GDLOGIN_TINYPROXY, /usr/bin, /usr/sbin, PATH)")
	return ""
}

// Start runs a tinyproxy for t and stops it when t ends.
func Start(t testing.TB, o Options) *Proxy {
	t.Helper()
	bin := Require(t)
	var wrap []string
	dir := t.TempDir()
	if len(o.Hosts) > 0 {
		wrap = namespaceWrapper(t, dir, o.Hosts)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := start(bin, wrap, dir, attempt)
		if err == nil {
			t.Cleanup(p.stop)
			return p
		}
		lastErr = err
	}
	t.Fatalf("proxytest: %v", lastErr)
	return nil
}

// namespaceWrapper writes a hosts file and returns the command prefix that
// runs tinyproxy with it as /etc/hosts.
func namespaceWrapper(t testing.TB, dir string, hosts map[string]string) []string {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		skipOrFail(t, "unshare (util-linux) not found: the proxy cannot be given its own /etc/hosts")
	}
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost\n")
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if net.ParseIP(hosts[n]) == nil || strings.ContainsAny(n, " \t\n#") {
			t.Fatalf("proxytest: bad host entry %q → %q", n, hosts[n])
		}
		fmt.Fprintf(&b, "%s\t%s\n", hosts[n], n)
	}
	hostsFile := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hostsFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{unshare, "--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		args = append(args, "--user", "--map-root-user")
	}
	// Probe once: a kernel or container may forbid new namespaces.
	probe := exec.Command(args[0], append(args[1:], "sh", "-c", `mount --bind "$1" /etc/hosts && grep -q . /etc/hosts`, "sh", hostsFile)...)
	if out, err := probe.CombinedOutput(); err != nil {
		skipOrFail(t, "cannot give the proxy its own /etc/hosts in a mount namespace (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	return append(args, "sh", "-c", `mount --bind "$1" /etc/hosts && shift && exec "$@"`, "sh", hostsFile)
}

func start(bin string, wrap []string, dir string, attempt int) (*Proxy, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		Addr:    "127.0.0.1:" + strconv.Itoa(port),
		LogFile: filepath.Join(dir, fmt.Sprintf("tinyproxy-%d.log", attempt)),
		stderr:  &lockedBuffer{},
		exited:  make(chan struct{}),
	}
	p.URL = "http://" + p.Addr
	conf := filepath.Join(dir, fmt.Sprintf("tinyproxy-%d.conf", attempt))
	// No ConnectPort line: CONNECT is allowed to every port (the emulated
	// organization listens on a random one). No Allow line: only the
	// loopback listener can be reached anyway.
	cfg := fmt.Sprintf(`Port %d
Listen 127.0.0.1
Timeout 60
LogFile %q
LogLevel Info
MaxClients 50
DisableViaHeader Yes
`, port, p.LogFile)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	argv := append(append([]string{}, wrap...), bin, "-d", "-c", conf)
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start tinyproxy: %w", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("tinyproxy exited before accepting connections (%v): %s\n%s", p.waitErr, p.stderr.String(), p.Log())
		default:
		}
		if strings.Contains(p.Log(), "Accepting connections") {
			if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
				c.Close()
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("tinyproxy did not accept connections on %s within %s: %s\n%s", p.Addr, startTimeout, p.stderr.String(), p.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *Proxy) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Log is tinyproxy's log so far.
func (p *Proxy) Log() string {
	b, _ := os.ReadFile(p.LogFile)
	return string(b)
}

// Requests lists the request lines the proxy received, in order, such as
// "CONNECT analytics.example.com:8443 HTTP/1.1".
func (p *Proxy) Requests() []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(p.Log()))
	for sc.Scan() {
		line := sc.Text()
		if _, req, ok := strings.Cut(line, "]: Request (file descriptor "); ok {
			if _, rl, ok := strings.Cut(req, "): "); ok {
				out = append(out, rl)
			}
		}
	}
	return out
}

// WaitRequest waits (bounded) until the proxy has logged a request line
// that starts with prefix, e.g. "CONNECT analytics.example.com:8443 ", and
// returns every request line logged so far.
func (p *Proxy) WaitRequest(t testing.TB, prefix string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		reqs := p.Requests()
		for _, r := range reqs {
			if strings.HasPrefix(r, prefix) {
				return reqs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy logged no request %q within 10s; it logged %q\n%s", prefix, reqs, p.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ErrExited is returned by Alive when tinyproxy is gone.
var ErrExited = errors.New("tinyproxy exited")

// Alive reports ErrExited (with its output) when tinyproxy has stopped.
func (p *Proxy) Alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%w (%v): %s", ErrExited, p.waitErr, p.stderr.String())
	default:
		return nil
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
