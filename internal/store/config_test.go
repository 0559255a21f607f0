package store

import (
	"errors"
	"testing"
)

func TestCorruptYAMLLineNumbers(t *testing.T) {
	for _, tc := range []struct {
		src  string
		line int
	}{
		{"a: 1\nb: 2\nc: [unclosed\nd: 4\n", 3},
		{"a: 1\nb: {x: 1\nc: 3\n", 2},
		{"a: 1\nb: 2\nc: d: e\n", 3},
		{"a: 1\nb: 2\n- x\n", 3},
		{"a: 1\nb: 2\nc: @x\n", 3},
		{"[1, 2\n", 2},           // the parser fails at the end of the stream
		{"a: 1\n---\nb: 2\n", 2}, // the second document starts here
	} {
		_, err := parseYAMLDocument("p.yaml", []byte(tc.src))
		var ce *CorruptFileError
		if !errors.As(err, &ce) {
			t.Errorf("%q: error %v, want *CorruptFileError", tc.src, err)
			continue
		}
		if ce.Line != tc.line {
			t.Errorf("%q: line %d, want %d (%v)", tc.src, ce.Line, tc.line, err)
		}
	}
}
