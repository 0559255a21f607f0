package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const corpCA = "/etc/ssl/example/corp-ca.pem"

func TestCACertIsRememberedPerProfile(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	p := testProfile("corp")
	p.CACert = corpCA
	saved := mustSave(t, s, p, "tok-corp")
	if saved.CACert != corpCA {
		t.Errorf("Save returned CACert %q", saved.CACert)
	}
	plain := mustSave(t, s, testProfile("cloud"), "tok-cloud")
	if plain.CACert != "" {
		t.Errorf("a profile without --ca-cert got %q", plain.CACert)
	}

	// A new Store (a later gdlogin run) reads it back.
	again := openTestIn(t, s.base, ModeFile, nil)
	got, err := again.Get("corp")
	if err != nil {
		t.Fatal(err)
	}
	if got.CACert != corpCA {
		t.Errorf("Get(corp).CACert = %q, want %q", got.CACert, corpCA)
	}
	if got, _ := again.Get("cloud"); got.CACert != "" {
		t.Errorf("Get(cloud).CACert = %q, want none", got.CACert)
	}
	cfg := string(readFile(t, s.ConfigPath()))
	if !strings.Contains(cfg, "\n        ca_cert: "+corpCA+"\n") && !strings.Contains(cfg, "\n    ca_cert: "+corpCA+"\n") {
		t.Errorf("config.yaml lacks ca_cert: %s:\n%s", corpCA, cfg)
	}
	if strings.Count(cfg, "ca_cert:") != 1 {
		t.Errorf("ca_cert written for a profile without one:\n%s", cfg)
	}
	assertNotInConfig(t, s, "tok-corp", "tok-cloud")

	// Rotation keeps it when the caller passes the profile on.
	rot := got
	rot.TokenID = "gdlogin-corp-2"
	if _, err := again.Rotate(context.Background(), rot, Secret{Token: "tok-corp-2"}, got.TokenID); err != nil {
		t.Fatal(err)
	}
	if got, _ := again.Get("corp"); got.CACert != corpCA {
		t.Errorf("after Rotate CACert = %q", got.CACert)
	}
}

func TestCACertPathMustBeAbsolute(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	for _, bad := range []string{"corp.pem", "./corp.pem", "/etc/ssl/corp\n.pem"} {
		p := testProfile("corp")
		p.CACert = bad
		_, err := s.Save(context.Background(), p, Secret{Token: "t"})
		if err == nil || !strings.Contains(err.Error(), "the CA certificate path") {
			t.Errorf("Save with CACert %q: %v, want a refusal", bad, err)
		}
	}
	if _, err := os.Stat(s.ConfigPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Save wrote config.yaml: %v", err)
	}
}

func TestCorruptCACertInConfigIsReported(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	mustSave(t, s, testProfile("corp"), "t")
	cfg := readFile(t, s.ConfigPath())
	cfg = bytes.Replace(cfg, []byte("    method: browser\n"), []byte("    method: browser\n    ca_cert: relative.pem\n"), 1)
	if err := os.WriteFile(s.ConfigPath(), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptFileError
	if _, err := s.Get("corp"); !errors.As(err, &ce) || !strings.Contains(err.Error(), `"relative.pem" is not absolute`) {
		t.Fatalf("Get with a relative ca_cert: %v", err)
	}
}

func TestSDKProfileGetsSSLCACert(t *testing.T) {
	p := SDKProfile{Name: "corp", Host: "https://analytics.example.com", Token: newToken, CACert: corpCA}
	t.Run("created profiles form", func(t *testing.T) {
		s := openTest(t, ModeFile, nil)
		path := filepath.Join(t.TempDir(), "profiles.yaml")
		if _, err := s.WriteSDKProfile(context.Background(), p, SDKOptions{Path: path}); err != nil {
			t.Fatal(err)
		}
		out := readFile(t, path)
		if !bytes.Contains(out, []byte("  corp:\n    host: https://analytics.example.com\n    token: $GDLOGIN_TOKEN_CORP\n    ssl_ca_cert: "+corpCA+"\n")) {
			t.Errorf("profiles form without ssl_ca_cert:\n%s", out)
		}
		var doc struct {
			Profiles map[string]map[string]string `yaml:"profiles"`
		}
		decodeInto(t, out, &doc)
		if doc.Profiles["corp"]["ssl_ca_cert"] != corpCA {
			t.Errorf("decoded %+v", doc)
		}
	})
	t.Run("created legacy form", func(t *testing.T) {
		s := openTest(t, ModeFile, nil)
		path := filepath.Join(t.TempDir(), "profiles.yaml")
		if _, err := s.WriteSDKProfile(context.Background(), p, SDKOptions{Path: path, CreateForm: SDKFormLegacy}); err != nil {
			t.Fatal(err)
		}
		var doc map[string]map[string]string
		decodeInto(t, readFile(t, path), &doc)
		if doc["corp"]["ssl_ca_cert"] != corpCA || doc["corp"]["token"] != newToken {
			t.Errorf("decoded %+v", doc)
		}
	})
	t.Run("added to an existing profiles form in place", func(t *testing.T) {
		in, out, res := editFixture(t, "profiles.yaml", p, SDKOptions{})
		if res.Reformatted {
			t.Error("re-encoded instead of edited in place")
		}
		ins := []byte("  corp:\n    host: https://analytics.example.com\n    token: $GDLOGIN_TOKEN_CORP\n    ssl_ca_cert: " + corpCA + "\n")
		i := bytes.Index(out, ins)
		if i < 0 {
			t.Fatalf("new profile not found as a block:\n%s", out)
		}
		if !bytes.Equal(append(append([]byte{}, out[:i]...), out[i+len(ins):]...), in) {
			t.Errorf("the rest of the file changed:\n%s", out)
		}
	})
	t.Run("updated in an existing legacy profile", func(t *testing.T) {
		q := p
		q.Name = "default"
		in, out, _ := editFixture(t, "legacy.yaml", q, SDKOptions{})
		var doc map[string]map[string]any
		decodeInto(t, out, &doc)
		if doc["default"]["ssl_ca_cert"] != corpCA || doc["default"]["token"] != newToken {
			t.Errorf("decoded %+v", doc["default"])
		}
		if doc["staging"]["ssl_ca_cert"] != nil {
			t.Errorf("another profile got ssl_ca_cert: %+v", doc["staging"])
		}
		assertCommentsKept(t, in, out)
	})
	t.Run("a profile without a CA keeps a hand-set one", func(t *testing.T) {
		src := []byte("default:\n  host: https://old.example.com\n  token: old\n  ssl_ca_cert: /home/john.doe/ca.pem\n")
		out, _, err := editSDKProfiles("p.yaml", src, SDKProfile{Name: "default", Host: "https://analytics.example.com", Token: newToken}, SDKOptions{TokenEnv: DefaultSDKTokenEnv, CreateForm: SDKFormProfiles})
		if err != nil {
			t.Fatal(err)
		}
		want := "default:\n  host: https://analytics.example.com\n  token: " + newToken + "\n  ssl_ca_cert: /home/john.doe/ca.pem\n"
		if string(out) != want {
			t.Errorf("got\n%s\nwant\n%s", out, want)
		}
	})
	t.Run("a relative path is refused", func(t *testing.T) {
		s := openTest(t, ModeFile, nil)
		q := p
		q.CACert = "ca.pem"
		_, err := s.WriteSDKProfile(context.Background(), q, SDKOptions{Path: filepath.Join(t.TempDir(), "profiles.yaml")})
		if err == nil || !strings.Contains(err.Error(), `"ca.pem" is not absolute`) {
			t.Errorf("WriteSDKProfile with a relative CA: %v", err)
		}
	})
}

func decodeInto(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, data)
	}
}
