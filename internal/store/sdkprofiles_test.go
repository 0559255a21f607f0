package store

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/sdk/golden")

const newToken = "am9obi5kb2U6Z2Rsb2dpbjpORVdTRUNSRVQ="

// sdkFile is how the GoodData Python SDK reads profiles.yaml.
type sdkFile struct {
	Profiles       map[string]sdkEntry `yaml:"profiles"`
	DefaultProfile *string             `yaml:"default_profile"`
	Access         map[string]string   `yaml:"access"`
}

type sdkEntry struct {
	Host          string            `yaml:"host"`
	Token         string            `yaml:"token"`
	CustomHeaders map[string]string `yaml:"custom_headers"`
}

func decodeSDK(t *testing.T, data []byte) (sdkFile, map[string]sdkEntry) {
	t.Helper()
	var cur sdkFile
	if err := yaml.Unmarshal(data, &cur); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, data)
	}
	var all map[string]any
	_ = yaml.Unmarshal(data, &all)
	legacy := map[string]sdkEntry{}
	for k := range all {
		var m map[string]sdkEntry
		if yaml.Unmarshal(data, &m) == nil {
			if e, ok := m[k]; ok && e.Host != "" {
				legacy[k] = e
			}
		}
	}
	return cur, legacy
}

// checkGolden compares got with testdata/sdk/golden/<name>.yaml.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "sdk", "golden", name+".yaml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// changedLines returns the lines of b that differ from a; both must have
// the same number of lines.
func changedLines(t *testing.T, a, b []byte) []string {
	t.Helper()
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	if len(la) != len(lb) {
		t.Fatalf("line count changed from %d to %d:\n%s", len(la), len(lb), b)
	}
	var out []string
	for i := range la {
		if la[i] != lb[i] {
			out = append(out, lb[i])
		}
	}
	return out
}

func commentLines(data []byte) []string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if i := strings.Index(l, "#"); i >= 0 && !strings.Contains(l[:i], "$") {
			out = append(out, strings.TrimSpace(l[i:]))
		}
	}
	return out
}

func assertCommentsKept(t *testing.T, in, out []byte) {
	t.Helper()
	for _, c := range commentLines(in) {
		if !bytes.Contains(out, []byte(c)) {
			t.Errorf("comment %q lost", c)
		}
	}
}

func editFixture(t *testing.T, file string, p SDKProfile, opts SDKOptions) ([]byte, []byte, SDKResult) {
	t.Helper()
	in, err := os.ReadFile(filepath.Join("testdata", "sdk", file))
	if err != nil {
		t.Fatal(err)
	}
	if opts.TokenEnv == "" {
		opts.TokenEnv = SDKTokenEnv(p.Name)
	}
	if opts.CreateForm == "" {
		opts.CreateForm = SDKFormProfiles
	}
	out, res, err := editSDKProfiles(file, in, p, opts)
	if err != nil {
		t.Fatalf("edit %s: %v", file, err)
	}
	return in, out, res
}

func TestSDKLegacyUpdateInPlace(t *testing.T) {
	in, out, res := editFixture(t, "legacy.yaml", SDKProfile{Name: "default", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{})
	checkGolden(t, "legacy-update-default", out)
	if res.Form != SDKFormLegacy || res.TokenFromEnv || res.Reformatted {
		t.Errorf("result %+v, want legacy, literal token, edited in place", res)
	}
	got := changedLines(t, in, out)
	want := []string{"  host: https://analytics.example.com   # the old cluster", "  token: " + newToken}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changed lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, legacy := decodeSDK(t, out)
	if e := legacy["default"]; e.Host != "https://analytics.example.com" || e.Token != newToken || e.CustomHeaders["X-Example-Tenant"] != "analytics" {
		t.Errorf("default = %+v", e)
	}
	if e := legacy["staging"]; e.Token != "c3RhZ2luZzp0b2tlbg==" {
		t.Errorf("staging changed: %+v", e)
	}
}

func TestSDKLegacyUpdateKeepsQuoting(t *testing.T) {
	in, out, _ := editFixture(t, "legacy.yaml", SDKProfile{Name: "staging", Host: "https://staging2.example.com", Token: newToken}, SDKOptions{})
	checkGolden(t, "legacy-update-staging", out)
	got := changedLines(t, in, out)
	want := []string{`  host: "https://staging2.example.com"`, "  token: '" + newToken + "'"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changed lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSDKLegacyAddProfile(t *testing.T) {
	for _, tc := range []struct{ file, golden, indent string }{
		{"legacy.yaml", "legacy-add", "  "},
		{"legacy-4space.yaml", "legacy-4space-add", "    "},
		{"legacy-no-newline.yaml", "legacy-no-newline-add", "  "},
	} {
		t.Run(tc.file, func(t *testing.T) {
			in, out, res := editFixture(t, tc.file, SDKProfile{Name: "john", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{})
			checkGolden(t, tc.golden, out)
			if res.Reformatted {
				t.Error("the file was re-encoded instead of edited in place")
			}
			if !bytes.HasPrefix(out, bytes.TrimSuffix(in, []byte("\n"))) {
				t.Errorf("original content not kept byte for byte:\n%s", out)
			}
			if !bytes.Contains(out, []byte("\njohn:\n"+tc.indent+"host: https://analytics.example.com\n"+tc.indent+"token: "+newToken+"\n")) {
				t.Errorf("new profile not appended with indent %q:\n%s", tc.indent, out)
			}
		})
	}
}

func TestSDKLegacyFlowStyleFallsBackToReencoding(t *testing.T) {
	in, out, res := editFixture(t, "legacy-flow.yaml", SDKProfile{Name: "john", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{})
	if !res.Reformatted {
		t.Error("adding to a flow mapping cannot be spliced; Reformatted should be true")
	}
	assertCommentsKept(t, in, out)
	_, legacy := decodeSDK(t, out)
	if legacy["john"].Token != newToken || legacy["default"].Token != "Zmxvdw==" {
		t.Errorf("profiles after re-encoding: %+v\n%s", legacy, out)
	}
	// Updating a value inside the flow mapping can still be spliced.
	in, out, res = editFixture(t, "legacy-flow.yaml", SDKProfile{Name: "default", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{})
	if res.Reformatted {
		t.Errorf("scalar replacement in a flow mapping should be in place:\n%s", out)
	}
	if got := changedLines(t, in, out); len(got) != 1 || !strings.Contains(got[0], newToken) {
		t.Errorf("changed lines %q", got)
	}
}

func TestSDKProfilesFormUpdate(t *testing.T) {
	in, out, res := editFixture(t, "profiles.yaml", SDKProfile{Name: "prod", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{})
	checkGolden(t, "profiles-update-prod", out)
	if res.Form != SDKFormProfiles || !res.TokenFromEnv || res.TokenEnv != "GDLOGIN_TOKEN_PROD" || res.Reformatted {
		t.Errorf("result %+v", res)
	}
	if res.DefaultProfile != "dev" {
		t.Errorf("DefaultProfile = %q, want the file's dev", res.DefaultProfile)
	}
	if bytes.Contains(out, []byte(newToken)) {
		t.Fatalf("the profiles form must never hold the literal token:\n%s", out)
	}
	got := changedLines(t, in, out)
	want := []string{"    host: https://analytics.example.com # production", "    token: $GDLOGIN_TOKEN_PROD"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changed lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSDKProfilesFormAdd(t *testing.T) {
	in, out, res := editFixture(t, "profiles.yaml", SDKProfile{Name: "john", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{})
	checkGolden(t, "profiles-add", out)
	if res.Reformatted {
		t.Error("re-encoded instead of edited in place")
	}
	if bytes.Contains(out, []byte(newToken)) {
		t.Fatal("literal token written into the profiles form")
	}
	// Everything before and after the inserted lines is the original.
	ins := []byte("  john:\n    host: https://analytics.example.com\n    token: $GDLOGIN_TOKEN_JOHN\n")
	i := bytes.Index(out, ins)
	if i < 0 {
		t.Fatalf("new profile not found as a block:\n%s", out)
	}
	if !bytes.Equal(append(append([]byte{}, out[:i]...), out[i+len(ins):]...), in) {
		t.Errorf("the rest of the file changed:\n%s", out)
	}
	cur, _ := decodeSDK(t, out)
	if len(cur.Profiles) != 3 || cur.Profiles["john"].Token != "$GDLOGIN_TOKEN_JOHN" || *cur.DefaultProfile != "dev" || cur.Access["snowflake"] != "$SNOWFLAKE_PASSWORD" {
		t.Errorf("decoded %+v", cur)
	}
}

func TestSDKProfilesFormMakeDefault(t *testing.T) {
	in, out, res := editFixture(t, "profiles.yaml", SDKProfile{Name: "prod", Host: "https://prod.example.com"}, SDKOptions{MakeDefault: true, TokenEnv: "GOODDATA_PROD_TOKEN"})
	if res.DefaultProfile != "prod" {
		t.Errorf("DefaultProfile = %q", res.DefaultProfile)
	}
	if got := changedLines(t, in, out); len(got) != 1 || got[0] != "default_profile: prod" {
		t.Errorf("changed lines %q, want only default_profile", got)
	}
}

func TestSDKProfilesFormCompletesRequiredKeys(t *testing.T) {
	in, out, res := editFixture(t, "profiles-minimal.yaml", SDKProfile{Name: "john", Host: "https://analytics.example.com"}, SDKOptions{})
	checkGolden(t, "profiles-minimal-add", out)
	if res.Reformatted || !bytes.HasPrefix(out, in) {
		t.Errorf("original not kept as a prefix:\n%s", out)
	}
	cur, _ := decodeSDK(t, out)
	if cur.DefaultProfile == nil || *cur.DefaultProfile != "john" || cur.Access == nil {
		t.Errorf("default_profile/access missing: %+v\n%s", cur, out)
	}
}

func TestSDKHybridFileUsesProfilesSection(t *testing.T) {
	in, out, res := editFixture(t, "hybrid.yaml", SDKProfile{Name: "dev", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{})
	if res.Form != SDKFormProfiles || res.Reformatted {
		t.Errorf("result %+v", res)
	}
	got := changedLines(t, in, out)
	want := []string{"    host: https://analytics.example.com", "    token: $GDLOGIN_TOKEN_DEV"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changed lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSDKCorruptFileIsReported(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "sdk", "corrupt.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = editSDKProfiles("corrupt.yaml", in, SDKProfile{Name: "default", Host: "https://analytics.example.com", Token: "t"}, SDKOptions{TokenEnv: "GOODDATA_TOKEN"})
	var ce *CorruptFileError
	if !errors.As(err, &ce) || ce.Path != "corrupt.yaml" || ce.Line == 0 {
		t.Fatalf("error %v, want *CorruptFileError with path and line", err)
	}
	for _, bad := range []string{"- a\n- b\n", "default: 42\n", "a: 1\na: 2\n", "a: 1\n---\nb: 2\n"} {
		_, _, err := editSDKProfiles("p.yaml", []byte(bad), SDKProfile{Name: "default", Host: "https://analytics.example.com", Token: "t"}, SDKOptions{TokenEnv: "GOODDATA_TOKEN"})
		if !errors.As(err, &ce) || ce.Line == 0 {
			t.Errorf("%q: error %v, want *CorruptFileError with a line", bad, err)
		}
	}
}

func TestWriteSDKProfileCreatesFile(t *testing.T) {
	for _, tc := range []struct {
		form        SDKForm
		golden      string
		literal     bool
		wantFromEnv bool
	}{
		{"", "created-profiles", false, true},
		{SDKFormLegacy, "created-legacy", true, false},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			s := openTest(t, ModeFile, nil)
			dir := filepath.Join(t.TempDir(), ".gooddata")
			path := filepath.Join(dir, "profiles.yaml")
			res, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "default", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{Path: path, CreateForm: tc.form})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Created || res.TokenFromEnv != tc.wantFromEnv || res.Path != path {
				t.Errorf("result %+v", res)
			}
			out := readFile(t, path)
			checkGolden(t, tc.golden, out)
			if bytes.Contains(out, []byte(newToken)) != tc.literal {
				t.Errorf("literal token present = %v, want %v", !tc.literal, tc.literal)
			}
			assertMode(t, path, 0o600)
			assertMode(t, dir, 0o700)
			// The result is what the SDK expects.
			cur, legacy := decodeSDK(t, out)
			if tc.form == SDKFormLegacy {
				if legacy["default"].Token != newToken {
					t.Errorf("legacy profile %+v", legacy)
				}
			} else if cur.Profiles["default"].Token != "$GDLOGIN_TOKEN_DEFAULT" || cur.DefaultProfile == nil || *cur.DefaultProfile != "default" || cur.Access == nil {
				t.Errorf("profiles form %+v", cur)
			}
		})
	}
}

func TestWriteSDKProfilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	s := openTest(t, ModeFile, nil)
	dir := t.TempDir()
	copyFixture := func(name string, mode os.FileMode) string {
		data, err := os.ReadFile(filepath.Join("testdata", "sdk", name))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	legacy := copyFixture("legacy.yaml", 0o644)
	if _, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "default", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{Path: legacy}); err != nil {
		t.Fatal(err)
	}
	assertMode(t, legacy, 0o600)

	current := copyFixture("profiles.yaml", 0o640)
	res, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "john", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{Path: current})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TokenFromEnv {
		t.Error("profiles form must ask the caller to export the token")
	}
	assertMode(t, current, 0o640)
	if bytes.Contains(readFile(t, current), []byte(newToken)) {
		t.Error("literal token written into the profiles form")
	}
}

func TestWriteSDKProfileLeavesCorruptFileUntouched(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	data, err := os.ReadFile(filepath.Join("testdata", "sdk", "corrupt.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.WriteSDKProfile(context.Background(), SDKProfile{Name: "default", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{Path: path})
	var ce *CorruptFileError
	if !errors.As(err, &ce) || ce.Line != 4 {
		t.Fatalf("error %v, want *CorruptFileError at line 4", err)
	}
	if !strings.Contains(err.Error(), path+":4") {
		t.Errorf("message %q lacks path:line", err)
	}
	if got := readFile(t, path); !bytes.Equal(got, data) {
		t.Errorf("corrupt file changed:\n%s", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestWriteSDKProfileFollowsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	s := openTest(t, ModeFile, nil)
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles-profiles.yaml")
	data, _ := os.ReadFile(filepath.Join("testdata", "sdk", "profiles.yaml"))
	if err := os.WriteFile(target, data, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "profiles.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "john", Host: "https://analytics.example.com"}, SDKOptions{Path: link}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink replaced by a file")
	}
	if !bytes.Contains(readFile(t, target), []byte("  john:\n")) {
		t.Error("symlink target not updated")
	}
}

func TestWriteSDKProfileCommentOnlyFile(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	in, _ := os.ReadFile(filepath.Join("testdata", "sdk", "comments-only.yaml"))
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, in, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "default", Host: "https://analytics.example.com"}, SDKOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	out := readFile(t, path)
	if !res.Created || !bytes.HasPrefix(out, in) {
		t.Errorf("comments not kept at the top (result %+v):\n%s", res, out)
	}
	cur, _ := decodeSDK(t, out)
	if cur.Profiles["default"].Token != "$GDLOGIN_TOKEN_DEFAULT" {
		t.Errorf("profile not written:\n%s", out)
	}
}

func TestWriteSDKProfileRejectsBadInput(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	for _, tc := range []struct {
		p    SDKProfile
		opts SDKOptions
	}{
		{SDKProfile{Name: "a/b", Host: "https://analytics.example.com"}, SDKOptions{Path: path}},
		{SDKProfile{Name: "default", Host: "analytics.example.com"}, SDKOptions{Path: path}},
		{SDKProfile{Name: "default", Host: "https://analytics.example.com"}, SDKOptions{Path: path, TokenEnv: "${X}"}},
		{SDKProfile{Name: "default", Host: "https://analytics.example.com"}, SDKOptions{Path: path, CreateForm: SDKFormLegacy}},
	} {
		if _, err := s.WriteSDKProfile(context.Background(), tc.p, tc.opts); err == nil {
			t.Errorf("WriteSDKProfile(%+v, %+v) succeeded", tc.p.Name, tc.opts)
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a rejected write created the file")
	}
}

func FuzzEditSDKProfiles(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sdk", "*.yaml"))
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data, "default")
		f.Add(data, "john")
	}
	f.Add([]byte("profiles:\n"), "x")
	f.Add([]byte("a: &x {host: h, token: t}\nb: *x\n"), "b")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		if ValidateName(name) != nil {
			return
		}
		p := SDKProfile{Name: name, Host: "https://analytics.example.com", Token: newToken}
		out, res, err := editSDKProfiles("fuzz.yaml", data, p, SDKOptions{TokenEnv: "GOODDATA_TOKEN", CreateForm: SDKFormProfiles})
		if err != nil {
			return
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
		var v map[any]any
		if err := yaml.Unmarshal(out, &v); err != nil {
			t.Fatalf("output is not a mapping: %v\n%s", err, out)
		}
		entry := v[name]
		wantToken := newToken
		if res.Form == SDKFormProfiles {
			entry = lookup(v["profiles"], name)
			wantToken = "$GOODDATA_TOKEN"
		}
		if lookup(entry, "host") != p.Host || lookup(entry, "token") != wantToken {
			t.Fatalf("profile %q not written (form %s): %v\n%s", name, res.Form, entry, out)
		}
	})
}

// lookup reads a string key from a decoded YAML mapping of either Go type.
func lookup(m any, key string) any {
	switch m := m.(type) {
	case map[string]any:
		return m[key]
	case map[any]any:
		return m[key]
	}
	return nil
}
