package recording

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyMatchesSharedReference: when the project's shared reference
// folder sits next to the repository, the copy in testdata must equal it.
func TestCopyMatchesSharedReference(t *testing.T) {
	shared := filepath.Join(repoRoot(), "..", "shared", "reference")
	entries, err := os.ReadDir(shared)
	if err != nil {
		t.Skipf("no shared reference folder at %s; the repository's copy is used", shared)
	}
	for _, e := range entries {
		want, _ := os.ReadFile(filepath.Join(shared, e.Name()))
		got, err := os.ReadFile(filepath.Join(Dir(), e.Name()))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/reference/%s differs from %s; copy it again", e.Name(), shared)
		}
	}
}

func TestLoad(t *testing.T) {
	its, err := Load("recorded-api-tokens.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(its) != 5 || its[1].Method != http.MethodPost || its[1].Status != 201 || its[4].Status != 204 {
		t.Fatalf("interactions %+v", its)
	}
	if its[0].RequestHeader.Get("X-Requested-With") != "XMLHttpRequest" || its[4].ResponseHeader.Get("Content-Type") != "application/vnd.gooddata.api+json" {
		t.Fatalf("headers %v / %v", its[0].RequestHeader, its[4].ResponseHeader)
	}
	body, ok := its[1].RequestBody.(map[string]any)
	if !ok || body["data"].(map[string]any)["id"] != "test_token" {
		t.Fatalf("request body %#v", its[1].RequestBody)
	}
	if its[4].ResponseBody != "" {
		t.Fatalf("empty body decoded as %#v", its[4].ResponseBody)
	}
	if _, err := Load("no-such.yaml"); err == nil {
		t.Fatal("a missing cassette loaded")
	}
}
