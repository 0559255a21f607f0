//go:build linux

package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of a test re-run inside a private D-Bus session.
const sessionEnv = "GDLOGIN_SECRET_SERVICE_SESSION"

// secretsName is the bus name of a Secret Service.
const secretsName = "org.freedesktop.secrets"

// loginCollection is the collection go-keyring stores items in.
const loginCollection = "/org/freedesktop/secrets/collection/login"

// sessionTimeout bounds one test re-run in a private session.
const sessionTimeout = 3 * time.Minute

// busConfig is a session bus that activates nothing: a Secret Service is
// there only when a test starts one, never gnome-keyring by D-Bus
// activation, and no prompter can appear.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// requireTools skips (fails under CI=true) when a program of the Secret
// Service tests is missing.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	for _, p := range []string{"dbus-run-session", "dbus-send", "gnome-keyring-daemon", "secret-tool"} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "Secret Service tests need " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI must install them (scripts/install-test-tools installs gnome-keyring, libsecret-tools and dbus)")
	}
	t.Skip(msg)
}

// InPrivateSession runs the calling top-level test again, in a child
// process of the test binary, inside a private D-Bus session
// (dbus-run-session with a bus that activates nothing) and with a private
// HOME and XDG directories, so that nothing of the user's keyring is used
// or touched. In the parent it waits for the child, fails t if the child
// failed, and returns false: the caller returns at once. In the child it
// returns true: the caller goes on with the test.
func InPrivateSession(t *testing.T) bool {
	t.Helper()
	if os.Getenv(sessionEnv) == t.Name() {
		return true
	}
	if strings.Contains(t.Name(), "/") {
		t.Fatal("storetest: InPrivateSession works only in a top-level test")
	}
	requireTools(t)
	scratch := t.TempDir()
	home := filepath.Join(scratch, "home")
	run := filepath.Join(scratch, "run")
	bus := filepath.Join(scratch, "bus")
	for _, d := range []string{home, run, bus} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(scratch, "session.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, bus)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "HOME", "GNOME_KEYRING_CONTROL", "SSH_AUTH_SOCK",
			"XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", sessionEnv:
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		sessionEnv+"="+t.Name(),
		"HOME="+home,
		"XDG_RUNTIME_DIR="+run,
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--config-file="+conf, "--",
		os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the test in a private D-Bus session did not finish within %s:\n%s", sessionTimeout, out)
	}
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("in a private D-Bus session (%v):\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("in a private D-Bus session:\n%s", out)
	}
	return false
}

// SecretService is a gnome-keyring-daemon serving the Secret Service on
// the private session bus, with its login keyring created and unlocked.
type SecretService struct {
	cmd    *exec.Cmd
	exited chan struct{}
	out    bytes.Buffer
}

// StartSecretService starts gnome-keyring-daemon (secrets component only)
// in the private session of InPrivateSession, hands it the login keyring's
// password on stdin (which creates and unlocks the keyring), and waits
// until it owns org.freedesktop.secrets. It is stopped when t ends.
func StartSecretService(t *testing.T) *SecretService {
	t.Helper()
	if os.Getenv(sessionEnv) == "" {
		t.Fatal("storetest: StartSecretService runs only inside InPrivateSession")
	}
	s := &SecretService{exited: make(chan struct{})}
	s.cmd = exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	s.cmd.Stdin = strings.NewReader("gdlogin-test-keyring-password")
	s.cmd.Stdout = &s.out
	s.cmd.Stderr = &s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start gnome-keyring-daemon: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for !nameHasOwner(secretsName) {
		select {
		case <-s.exited:
			t.Fatalf("gnome-keyring-daemon exited before serving %s:\n%s", secretsName, s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnome-keyring-daemon did not serve %s within 20s:\n%s", secretsName, s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The login keyring exists once the daemon has handled the password.
	for {
		if out, err := dbusSend(secretsName, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.ReadAlias", "string:default"); err == nil && strings.Contains(out, loginCollection) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnome-keyring-daemon has no unlocked login keyring within 20s:\n%s", s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PID is the daemon's process id.
func (s *SecretService) PID() int { return s.cmd.Process.Pid }

// Lock locks the login keyring, as a screen lock or a timeout does. The
// private session has no prompter, so nothing can unlock it again.
func (s *SecretService) Lock(t *testing.T) {
	t.Helper()
	if _, err := dbusSend(secretsName, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock", "array:objpath:"+loginCollection); err != nil {
		t.Fatalf("lock the login keyring: %v", err)
	}
	out, err := dbusSend(secretsName, loginCollection, "org.freedesktop.DBus.Properties.Get", "string:org.freedesktop.Secret.Collection", "string:Locked")
	if err != nil || !strings.Contains(out, "boolean true") {
		t.Fatalf("the login keyring is not locked after Lock: %v\n%s", err, out)
	}
}

// Hang stops the daemon (SIGSTOP): the bus still takes calls for it, and
// no answer ever comes, as with a Secret Service stuck on an unlock prompt
// nobody sees. It is continued when t ends.
func (s *SecretService) Hang(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("stop gnome-keyring-daemon: %v", err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Signal(syscall.SIGCONT) })
}

// Lookup reads an item back with secret-tool, by the attributes go-keyring
// stores (service and username). ok is false when there is no such item.
func Lookup(t *testing.T, service, account string) (secret string, ok bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "secret-tool", "lookup", "service", service, "username", account)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("secret-tool lookup did not answer within 20s")
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 && stdout.Len() == 0 {
		return "", false
	}
	if err != nil {
		t.Fatalf("secret-tool lookup: %v: %s", err, stderr.String())
	}
	return stdout.String(), true
}

// ItemCount counts the items of service in the login keyring, with
// secret-tool search --all.
func ItemCount(t *testing.T, service string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "secret-tool", "search", "--all", "service", service).CombinedOutput()
	return strings.Count(string(out), "attribute.service = "+service+"\n")
}

func nameHasOwner(name string) bool {
	out, err := dbusSend("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:"+name)
	return err == nil && strings.Contains(out, "boolean true")
}

func dbusSend(dest, path, method string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	argv := append([]string{"--session", "--print-reply", "--reply-timeout=5000", "--dest=" + dest, path, method}, args...)
	out, err := exec.CommandContext(ctx, "dbus-send", argv...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("dbus-send %s %s: %w: %s", path, method, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
