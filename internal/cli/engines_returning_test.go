package cli

import (
	"regexp"
	"strings"

	"github.com/gdlogin/gdlogin/internal/browsertest"
)

// The returning user in each engine (rows of engineScenarios): the second
// login of a profile whose bookmark worked opens the organization directly,
// and one click on the bookmark, with no confirmation, ends it. Where the
// engine refuses the bookmark (WebKit under a strict CSP), the first login
// ends with the snippet, and the second opens the start page again, which
// leads with the snippet there.

var startPageURL = regexp.MustCompile(`^http://127\.0\.0\.1:\d+/\?k=[\w-]+$`)

// openedOrg reports whether gdlogin handed the browser opener the
// organization with the pairing (else it must be the start page).
func (s *engineLogin) openedOrg() bool {
	s.t.Helper()
	switch {
	case strings.HasPrefix(s.start, s.org.URL()+"/appLogin?redirectTo=/%23gdlogin%3D"):
		return true
	case startPageURL.MatchString(s.start):
		return false
	}
	s.t.Fatalf("gdlogin opened %s, neither the organization nor its start page", s.start)
	return false
}

// closeStartTab closes the previous login's start page, which still says
// success.
func (s *engineLogin) closeStartTab() {
	if s.startTab != nil {
		s.startTab.Close()
		s.startTab = nil
	}
}

// returningScenario: the first login as bookmarkScenario; the second opens
// the organization directly (or, where the bookmark was refused, the start
// page); --start-page then opens the start page.
func (s *engineLogin) returningScenario() string {
	t := s.t
	first := s.bookmarkScenario()
	s.earlier = append(s.earlier, first)
	bookmark := browsertest.Attr(t, s.startTab, "bookmarklet", "href")
	refused := bookmarkRefused(s.engine.Name(), s.csp)

	s.closeStartTab()
	s.launch(false, "--output", "token")
	if s.openedOrg() == refused {
		t.Fatalf("after a first login with the %s, the second opened %s", map[bool]string{true: "snippet", false: "bookmark"}[refused], s.start)
	}
	if refused {
		s.note("second login: the start page again, the bookmark never ran here")
		_, _, snippet, way := s.openStartPage()
		if way != "snippet" {
			t.Fatalf("the start page leads with the %s", way)
		}
		s.orgTab.Navigate(s.org.URL() + "/")
		s.orgTab.Console(snippet)
		s.confirmIfAsked()
		token := strings.TrimSpace(s.finishInBrowser())
		if token == first {
			t.Fatal("the second login printed the first one's token")
		}
		return token
	}

	// The organization, directly; the terminal names the start page.
	stderr := s.stderr.String()
	m := regexp.MustCompile(`(?m)^If you have no gdlogin bookmark, open (\S+)$`).FindStringSubmatch(stderr)
	if m == nil || !startPageURL.MatchString(m[1]) {
		t.Fatalf("the terminal does not lead to the start page:\n%s", stderr)
	}
	s.orgTab.Navigate(s.start)
	browsertest.Wait(t, s.orgTab, "the organization's page", `document.querySelector('[data-testid="login-form"], [data-testid="signed-in-user"]')`, 0)
	if browsertest.MustEval(t, s.orgTab, `!!document.querySelector('[data-testid="signed-in-user"]') && location.hash.startsWith("#gdlogin=")`) != "true" {
		t.Fatalf("the session is alive, but the organization shows %s", browsertest.Location(t, s.orgTab))
	}
	if !s.clickBookmark(bookmark) {
		t.Fatal("the bookmark was refused where it ran before")
	}
	if s.confirmIfAsked() {
		t.Fatal("the bookmark asked again for an installation this browser confirmed")
	}
	token := strings.TrimSpace(s.finishInBrowser())
	if token == "" || token == first {
		t.Fatalf("the second login printed %q", token)
	}
	s.note("second login: the organization opened directly, one bookmark click, no confirmation")

	// --start-page: the start page, whatever the profile says.
	s.launch(false, "--output", "token", "--start-page")
	if s.openedOrg() {
		t.Fatalf("--start-page opened %s", s.start)
	}
	openOrg, _, _, _ := s.openStartPage()
	s.signIn(openOrg)
	if !s.clickBookmark(bookmark) {
		t.Fatal("the bookmark was refused where it ran before")
	}
	if s.confirmIfAsked() {
		t.Fatal("the bookmark asked again for an installation this browser confirmed")
	}
	s.earlier = append(s.earlier, token)
	third := strings.TrimSpace(s.finishInBrowser())
	s.note("--start-page: the start page")
	if third == token {
		t.Fatal("the third login printed the second one's token")
	}
	return third
}

// returningAfterSnippetScenario: a first login that ended with the console
// snippet leaves the profile on the start page: the second login opens it.
func (s *engineLogin) returningAfterSnippetScenario() string {
	t := s.t
	first := s.snippetScenario()
	s.earlier = append(s.earlier, first)
	s.closeStartTab()
	s.launch(false, "--output", "token")
	if s.openedOrg() {
		t.Fatalf("after a login with the snippet, the second opened %s", s.start)
	}
	_, _, snippet, _ := s.openStartPage()
	s.orgTab.Navigate(s.org.URL() + "/")
	s.orgTab.Console(snippet)
	s.confirmIfAsked()
	token := strings.TrimSpace(s.finishInBrowser())
	if token == "" || token == first {
		t.Fatalf("the second login printed %q", token)
	}
	s.note("second login: the start page again")
	return token
}
