package gooddata

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseProblem: any body, any media type; no panic, and what comes back
// is bounded.
func FuzzParseProblem(f *testing.F) {
	f.Add(MediaProblem, []byte(`{"title":"Bad Request","status":400,"detail":"Invalid id","traceId":"abc"}`))
	f.Add(MediaJSON+"; charset=utf-8", []byte(`{"title":"\u001b]0;x\u0007","detail":"\u009b2J"}`))
	f.Add(MediaJSONAPI, []byte(`{"errors":[{"title":"x"}]}`))
	f.Add("text/html", []byte(`<!doctype html><title>Sign in</title>`))
	f.Add(MediaProblem, []byte(`{"title":1,"detail":null}`))
	f.Add(MediaProblem, []byte(`[`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		p, ok := ParseProblem(ct, body)
		if !ok && p != (Problem{}) {
			t.Fatalf("not ok but %+v", p)
		}
		for _, s := range []string{p.Title, p.Detail, p.TraceID} {
			if len(s) > maxProblemField+len("…") {
				t.Fatalf("a field of %d bytes", len(s))
			}
		}
		if ok && !isJSONMedia(ct) {
			t.Fatalf("parsed a problem from %q", ct)
		}
	})
}

// FuzzNewAPIError: any status, headers and body; no panic, a Kind that
// fits the status, and a message for the terminal that holds no control
// character, starts with the operation, and is bounded.
func FuzzNewAPIError(f *testing.F) {
	f.Add(403, MediaProblem, "", "", []byte(`{"title":"Forbidden","detail":"no","traceId":"t1"}`))
	f.Add(401, "text/plain", `Bearer error="invalid_token"`, "", []byte("/appLogin"))
	f.Add(302, "", "", "https://idp.example.com/login", []byte(nil))
	f.Add(500, "text/html", "", "", []byte("<html>oops</html>"))
	f.Add(404, MediaJSON, "", "t\u009b2J", []byte(`{"title":"\u001b[2J","detail":"\r\u001b[K"}`))
	f.Add(409, MediaJSONAPI, "", "", []byte(`{"detail":"\u202eevil"}`))
	f.Fuzz(func(t *testing.T, status int, ct, wwwAuth, trace string, body []byte) {
		if status < 100 || status > 999 {
			status = 400 + (status%100+100)%100
		}
		h := http.Header{}
		h.Set("Content-Type", ct)
		h.Set("WWW-Authenticate", wwwAuth)
		h.Set("X-GDC-TRACE-ID", trace)
		h.Set("Location", trace)
		res := &http.Response{StatusCode: status, Header: h}
		r := request{op: "create API token", method: http.MethodPost, path: "/entities/users/john.doe/apiTokens"}
		e := newAPIError(r, "https://analytics.example.com/api/v1/entities/users/john.doe/apiTokens", res, body)
		if e.Status != status {
			t.Fatalf("status %d, want %d", e.Status, status)
		}
		switch {
		case status == 401 && e.Kind != KindInvalidToken && e.Kind != KindNotLoggedIn && e.Kind != KindNotGoodData:
			t.Fatalf("401 as kind %v", e.Kind)
		case status == 403 && e.Kind != KindForbidden && e.Kind != KindNotGoodData:
			t.Fatalf("403 as kind %v", e.Kind)
		case status >= 300 && status < 400 && e.Kind != KindNotGoodData:
			t.Fatalf("%d as kind %v", status, e.Kind)
		case status >= 500 && e.Kind != KindServer && e.Kind != KindNotGoodData:
			t.Fatalf("%d as kind %v", status, e.Kind)
		}
		for _, msg := range []string{e.Error(), e.Hint()} {
			if !utf8.ValidString(msg) {
				t.Fatalf("message is not valid UTF-8: %q", msg)
			}
			for _, c := range msg {
				if c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) {
					t.Fatalf("message holds %U: %q", c, msg)
				}
			}
		}
		msg := e.Error()
		if !strings.HasPrefix(msg, "create API token: ") {
			t.Fatalf("message %q does not start with the operation", msg)
		}
		// Each server field is at most 1 KiB, escaped at most 6 bytes per byte.
		if limit := 6*(3*maxProblemField+2*len(trace)) + 1024; len(msg) > limit {
			t.Fatalf("message of %d bytes (limit %d)", len(msg), limit)
		}
		if e.Kind != KindNotGoodData && e.Kind != KindInvalidToken && e.Kind != KindNotLoggedIn && !strings.Contains(msg, " answered "+strconv.Itoa(status)) {
			t.Fatalf("message %q does not carry the status", msg)
		}
	})
}
