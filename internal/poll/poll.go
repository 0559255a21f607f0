// Package poll holds the tests' bounded waits: for something that must
// happen, and for something that must not. Neither is a timed assertion: a
// slow machine makes a test wait longer, never fail.
package poll

import (
	"testing"
	"time"
)

// QuietWindow is how long a "nothing happened" check watches, counted from
// the event after which the script has nothing left to do (its last status
// shown, its question asked).
const QuietWindow = 500 * time.Millisecond

// Never watches for something that must not happen: it asks seen every
// 10 ms for QuietWindow and fails the test at the first answer that is not
// "", which says what happened. A request that the script sends late is
// caught whenever it lands in the window, and the test does not wait out
// the rest of it once one has.
func Never(t testing.TB, seen func() string) {
	t.Helper()
	deadline := time.Now().Add(QuietWindow)
	for {
		if what := seen(); what != "" {
			t.Fatal(what)
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Until waits until done is true, asking every 10 ms, and fails the test
// with what after a minute.
func Until(t testing.TB, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
