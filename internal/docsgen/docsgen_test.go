package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommandDocsAreCurrent fails when docs/commands no longer matches the
// command tree: run `go run ./internal/docsgen` and commit the result.
func TestCommandDocsAreCurrent(t *testing.T) {
	want := t.TempDir()
	if err := writeMarkdown(want); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "docs", "commands")
	names := func(dir string) []string {
		files, err := filepath.Glob(filepath.Join(dir, "*.md"))
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range files {
			files[i] = filepath.Base(f)
		}
		return files
	}
	got, gen := names(committed), names(want)
	for _, n := range gen {
		if !slices.Contains(got, n) {
			t.Errorf("docs/commands lacks %s", n)
			continue
		}
		a, _ := os.ReadFile(filepath.Join(committed, n))
		b, _ := os.ReadFile(filepath.Join(want, n))
		if string(a) != string(b) {
			t.Errorf("docs/commands/%s is out of date", n)
		}
	}
	for _, n := range got {
		if !slices.Contains(gen, n) {
			t.Errorf("docs/commands/%s describes a command that no longer exists", n)
		}
	}
	if t.Failed() {
		t.Log("run `go run ./internal/docsgen` and commit docs/commands")
	}
}

// TestManPages: the man pages build from the same tree.
func TestManPages(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1764440520")
	dir := t.TempDir()
	if err := writeMan(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "gdlogin-login.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "GDLOGIN" "1" "Nov 2025"`, `\fB--browser-command\fP`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("gdlogin-login.1 lacks %s:\n%s", want, b)
		}
	}
}
