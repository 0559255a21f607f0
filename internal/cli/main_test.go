package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/store/storetest"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
)

// envRunAsGdlogin makes the test binary behave as gdlogin itself, so that
// shell tests can run "$GDLOGIN env" without building a binary.
const envRunAsGdlogin = "GDLOGIN_TEST_RUN_AS_GDLOGIN"

// TestMain keeps every test away from the developer's own profiles and
// keyring: the user config and home directories point into a temporary
// directory, and the store gets an in-memory keyring unless a test chose
// another one for its config dir (useKeyring).
func TestMain(m *testing.M) {
	if os.Getenv(envRunAsGdlogin) == "1" {
		keyringHook = func(string) (store.Keyring, time.Duration) { return absentKeyring{}, 0 }
		os.Exit(Run(context.Background(), os.Args[1:], System()))
	}
	home, err := os.MkdirTemp("", "gdlogin-cli-test-")
	if err != nil {
		panic(err)
	}
	for k, v := range map[string]string{
		"HOME": home, "USERPROFILE": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "AppData": filepath.Join(home, "AppData"),
	} {
		os.Setenv(k, v)
	}
	shared := newMemKeyring()
	keyringHook = func(dir string) (store.Keyring, time.Duration) {
		if k, ok := testKeyrings.Load(dir); ok {
			tk := k.(testKeyring)
			return tk.keyring, tk.timeout
		}
		return shared, 0
	}
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

type testKeyring struct {
	keyring store.Keyring
	timeout time.Duration
}

// testKeyrings maps a GDLOGIN_CONFIG_DIR to the keyring its store uses.
var testKeyrings sync.Map

// The keyrings of these tests: working (in memory), absent, hanging.
type absentKeyring = storetest.Absent

var (
	newMemKeyring     = storetest.NewKeyring
	newHangingKeyring = storetest.NewHanging
	errNoKeyring      = storetest.ErrNoKeyring
)

// sandbox is a private config dir with its own keyring.
type sandbox struct {
	t    *testing.T
	dir  string // GDLOGIN_CONFIG_DIR
	vars map[string]string
}

// newSandbox makes a config dir whose store uses kr (with the given
// keyring timeout; zero means the store's default).
func newSandbox(t *testing.T, kr store.Keyring, timeout time.Duration) *sandbox {
	t.Helper()
	dir := t.TempDir()
	testKeyrings.Store(dir, testKeyring{keyring: kr, timeout: timeout})
	t.Cleanup(func() { testKeyrings.Delete(dir) })
	return &sandbox{t: t, dir: dir, vars: map[string]string{EnvConfigDir: dir}}
}

// env returns the sandbox's variables plus kv pairs.
func (s *sandbox) env(kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range s.vars {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// storeDir is <config dir>/gdlogin.
func (s *sandbox) storeDir() string { return filepath.Join(s.dir, "gdlogin") }

func (s *sandbox) configPath() string { return filepath.Join(s.storeDir(), "config.yaml") }

// app is one gdlogin run in the sandbox, with the profile and --store
// mode given; its stderr is returned.
func (s *sandbox) app(profile, mode string) (*app, *bytes.Buffer) {
	env, _, errb := testEnv("", s.vars)
	return &app{env: env, profile: profile, storeMode: mode}, errb
}

// save stores a verified login of user into profile, as the login command
// does: a new API token tokenID made by the emulator, checked with it. It
// returns the token. createdAgo backdates the login.
//
// Switch the callers to run(t, …, "login", org.URL(), "--method", "token", …)
// once the login command saves.
func (s *sandbox) save(org *orgsim.Server, profile, user, tokenID string, createdAgo time.Duration) string {
	s.t.Helper()
	bearer, err := org.IssueToken(user, tokenID)
	if err != nil {
		s.t.Fatal(err)
	}
	s.saveToken(org.URL(), profile, *profileOf(s.t, org, bearer), tokenID, bearer, createdAgo)
	return bearer
}

// saveToken saves a credential without asking a server (for hosts that are
// down).
func (s *sandbox) saveToken(host, profile string, owner gooddata.Profile, tokenID, bearer string, createdAgo time.Duration) {
	s.t.Helper()
	a, errb := s.app(profile, "auto")
	cred := credential.Credential{Host: host, Profile: owner, TokenID: tokenID, Token: gooddata.Secret(bearer),
		Method: methodToken, CreatedAt: a.env.Now().Add(-createdAgo)}
	if _, err := a.saveSeen(context.Background(), cred); err != nil {
		s.t.Fatalf("save profile %s: %v\n%s", profile, err, errb)
	}
	assertNoSecret(s.t, "stderr of save", errb.String(), bearer)
}

// runPrivate runs gdlogin like run, but never logs stdout, which may hold a
// token. tty makes stdin a terminal.
func runPrivate(t *testing.T, stdin string, vars map[string]string, tty bool, args ...string) result {
	t.Helper()
	env, out, errb := testEnv(stdin, isolated(t, vars))
	env.StdinIsTerminal, env.StderrIsTerminal = tty, tty
	code := Run(context.Background(), args, env)
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	t.Logf("gdlogin %s\nexit %d\nstdout: (%d bytes, not logged)\nstderr: %s", strings.Join(args, " "), r.code, len(r.stdout), r.stderr)
	return r
}

// mustContain fails unless text holds every one of wants.
func mustContain(t *testing.T, where, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", where, w, text)
		}
	}
}

// closedURL is an http URL on which nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

// saveSeen saves cred into the run's profile as a login that starts now
// would: it reads the profile's revision first.
func (a *app) saveSeen(ctx context.Context, cred credential.Credential) (store.Profile, error) {
	st, name, err := a.profileStore()
	if err != nil {
		return store.Profile{}, err
	}
	seen, err := st.Revision(name)
	if err != nil {
		return store.Profile{}, err
	}
	return a.saveCredential(ctx, cred, seen, false)
}
