package web

import (
	"net/http"
	"strings"
	"testing"
)

// rejected returns the reasons of the EventRejected events so far.
func (f *fixture) rejected() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		if e.Kind == EventRejected {
			out = append(out, e.Reason)
		}
	}
	return out
}

func TestRefusalReasonsQuoteWhatThePageSent(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		path string
		want string
	}{
		{
			name: "C1 CSI in Content-Type",
			hdr:  map[string]string{"Content-Type": "text/plain\u009b2J\u009d0;owned\u009c", "Sec-Fetch-Site": "same-origin"},
			want: `/complete with content type "text/plain\u009b2J\u009d0;owned\u009c"`,
		},
		{
			name: "bidi override in Content-Type",
			hdr:  map[string]string{"Content-Type": "application/\u202enosj", "Sec-Fetch-Site": "same-origin"},
			want: `/complete with content type "application/\u202enosj"`,
		},
		{
			name: "C1 in Sec-Fetch-Site",
			hdr:  map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin\u009b2J"},
			want: `/complete with Sec-Fetch-Site "same-origin\u009b2J"`,
		},
		{
			name: "long value cut at a rune",
			hdr:  map[string]string{"Content-Type": strings.Repeat("é", 50), "Sec-Fetch-Site": "same-origin"},
			want: `/complete with content type "` + strings.Repeat(`\u00e9`, 40) + `"…`,
		},
		{
			name: "escape in a path",
			path: "/x%1b]0;owned%07%c2%9b2J",
			want: `GET "/x\x1b]0;owned\a\u009b2J": Nothing here`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.path != "" {
				f.do(t, http.MethodGet, tc.path, nil, nil)
			} else {
				hdr := map[string]string{"Origin": f.origin}
				for k, v := range tc.hdr {
					hdr[k] = v
				}
				f.do(t, http.MethodPost, "/complete", f.envelope(t, goodToken, testOrg), hdr)
			}
			got := f.rejected()
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("reasons %q, want [%q]", got, tc.want)
			}
			for _, r := range got[0] {
				if r < 0x20 || r >= 0x7f && r != '…' {
					t.Errorf("reason %q holds %U", got[0], r)
				}
			}
		})
	}
}
