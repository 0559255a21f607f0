package orgsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/recording"
)

func loadCassette(t *testing.T, name string) []recording.Interaction {
	t.Helper()
	its, err := recording.Load(name)
	if err != nil {
		t.Fatalf("read recording: %v", err)
	}
	if len(its) == 0 {
		t.Fatalf("%s has no interactions", name)
	}
	return its
}

// Placeholders the recordings use for values that differ on every run.
const (
	recordedPlaceholder = "PLACEHOLDER"
	recordedBearer      = "NORMALIZED_BEARER_TOKEN"
)

// checkedHeaders must be present exactly when recorded (and equal, unless
// the recording holds a placeholder).
var checkedHeaders = []string{"Content-Type", "Date", "Expires", "Pragma", "X-Content-Type-Options", traceHeader, "WWW-Authenticate"}

// TestContractReplay replays the recordings of a real server against the
// emulator: the user "demo" (MANAGE) is managed with the bootstrap token of
// "admin", as on the GoodData.CN Community Edition the recordings come from.
func TestContractReplay(t *testing.T) {
	users := []User{
		{ID: "admin", Name: "Admin", Password: "admin", Permissions: []string{PermissionManage}},
		{ID: "demo", Name: "Demo User", Password: "demo123", Permissions: []string{PermissionManage}},
	}
	for _, tc := range []struct {
		file   string
		bearer func(*Server) string
	}{
		{"recorded-api-tokens.yaml", (*Server).AdminToken},
		{"recorded-invalid-bearer.yaml", func(*Server) string {
			return base64.StdEncoding.EncodeToString([]byte("demo:nosuchtoken:c2VjcmV0"))
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s := start(t, Options{Users: users})
			for i, it := range loadCassette(t, tc.file) {
				u, err := url.Parse(it.URI)
				if err != nil {
					t.Fatal(err)
				}
				var body io.Reader
				if it.RequestBody != nil {
					raw, err := json.Marshal(it.RequestBody)
					if err != nil {
						t.Fatal(err)
					}
					body = bytes.NewReader(raw)
				}
				req, err := http.NewRequest(it.Method, s.URL()+u.RequestURI(), body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header = it.RequestHeader.Clone()
				req.Header.Set("Authorization", "Bearer "+tc.bearer(s))
				resp, err := noRedirects.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				name := it.Method + " " + u.RequestURI()
				if resp.StatusCode != it.Status {
					t.Fatalf("#%d %s: status %d, recorded %d; body %s", i, name, resp.StatusCode, it.Status, got)
				}
				checkRecordedHeaders(t, name, it.ResponseHeader, resp.Header)
				origin := "http://" + u.Host
				checkRecordedBody(t, name, it.ResponseBody, bytes.ReplaceAll(got, []byte(s.URL()), []byte(origin)))
			}
			if tc.file == "recorded-api-tokens.yaml" && s.HasToken("demo", "test_token") {
				t.Error("the recorded DELETE left the token in place")
			}
		})
	}
}

func checkRecordedHeaders(t *testing.T, name string, recorded, got http.Header) {
	t.Helper()
	for _, h := range checkedHeaders {
		want, recordedIt := recorded[http.CanonicalHeaderKey(h)]
		have, present := got[http.CanonicalHeaderKey(h)]
		switch {
		case recordedIt && !present:
			t.Errorf("%s: header %s missing (recorded %q)", name, h, want)
		case !recordedIt && present:
			t.Errorf("%s: header %s = %q, but the recording has none", name, h, have)
		case recordedIt && !(len(want) == 1 && want[0] == recordedPlaceholder) && !reflect.DeepEqual(want, have):
			t.Errorf("%s: header %s = %q, recorded %q", name, h, have, want)
		case recordedIt && (len(have) != 1 || have[0] == ""):
			t.Errorf("%s: header %s = %q, want one non-empty value", name, h, have)
		}
	}
}

func checkRecordedBody(t *testing.T, name string, recorded any, got []byte) {
	t.Helper()
	if s, ok := recorded.(string); ok {
		if string(got) != s {
			t.Errorf("%s: body %q, recorded %q", name, got, s)
		}
		return
	}
	var have any
	if err := json.Unmarshal(got, &have); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", name, err, got)
	}
	if bearer, ok := dig(have, "data", "attributes", "bearerToken").(string); ok {
		raw, err := base64.StdEncoding.DecodeString(bearer)
		parts := strings.SplitN(string(raw), ":", 3)
		if err != nil || len(parts) != 3 || parts[0] != "demo" || parts[1] != dig(have, "data", "id") || len(parts[2]) < 16 {
			t.Errorf("%s: bearer token %q is not base64(userId:tokenId:secret)", name, bearer)
		}
		have.(map[string]any)["data"].(map[string]any)["attributes"].(map[string]any)["bearerToken"] = recordedBearer
	}
	raw, err := json.Marshal(recorded)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(have, want) {
		gotJSON, _ := json.Marshal(have)
		t.Errorf("%s: body\n got %s\nwant %s", name, gotJSON, raw)
	}
}
