package static

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/js"
	"github.com/tdewolff/parse/v2"
	jslex "github.com/tdewolff/parse/v2/js"
)

var update = flag.Bool("update", false, "rewrite handoff.min.js from handoff.js")

// minifyJS shortens local names and drops comments and blanks; nothing else
// changes meaning. ECMAScript 2021 is the floor: the source uses ||= and ?.
// (browsers from 2020 on), and the minifier must not reach for anything newer.
func minifyJS(t *testing.T, src []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := (&js.Minifier{Version: 2021}).Minify(minify.New(), &out, bytes.NewReader(src), nil); err != nil {
		t.Fatalf("minify: %v", err)
	}
	return out.Bytes()
}

// singleQuote turns double-quoted string literals that hold no quote or
// backslash into single-quoted ones. The bookmarklet must percent-encode
// every " (three bytes each) but may keep ' as it is; the minifier always
// picks ". Regular expressions are told apart from division the usual way,
// by the token before the slash; the caller proves the result right.
func singleQuote(code []byte) ([]byte, error) {
	l := jslex.NewLexer(parse.NewInputBytes(code))
	var out bytes.Buffer
	prev := jslex.ErrorToken // the last token that was not white space
	for {
		tt, text := l.Next()
		switch tt {
		case jslex.ErrorToken:
			if l.Err() == io.EOF {
				return out.Bytes(), nil
			}
			return nil, l.Err()
		case jslex.DivToken, jslex.DivEqToken:
			if prev == jslex.ErrorToken || (jslex.IsPunctuator(prev) || jslex.IsOperator(prev)) &&
				prev != jslex.CloseParenToken && prev != jslex.CloseBracketToken && prev != jslex.CloseBraceToken {
				tt, text = l.RegExp()
			}
		case jslex.StringToken:
			if inner := text[1 : len(text)-1]; text[0] == '"' && !bytes.ContainsAny(inner, `'"\`) {
				text = append(append([]byte{'\''}, inner...), '\'')
			}
		}
		out.Write(text)
		if tt != jslex.WhitespaceToken && tt != jslex.LineTerminatorToken && tt != jslex.CommentToken {
			prev = tt
		}
	}
}

// buildMinified makes handoff.min.js from handoff.js: minified, then
// single-quoted.
func buildMinified(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile("handoff.js")
	if err != nil {
		t.Fatal(err)
	}
	quoted, err := singleQuoteChecked(t, minifyJS(t, src))
	if err != nil {
		t.Fatal(err)
	}
	return append(quoted, '\n')
}

// singleQuoteChecked is singleQuote proved harmless by minifying both forms
// again: the minifier parses them fully and quotes every string its own way,
// so any change of meaning (a regular expression or a template touched by
// mistake) makes the two differ.
func singleQuoteChecked(t *testing.T, min []byte) ([]byte, error) {
	quoted, err := singleQuote(min)
	if err != nil {
		return nil, fmt.Errorf("single-quote: %w", err)
	}
	if !bytes.Equal(minifyJS(t, quoted), minifyJS(t, min)) {
		return nil, errors.New("single-quoting changed the meaning of the script")
	}
	return quoted, nil
}

// TestMinified keeps handoff.min.js in step with handoff.js. Every browser
// test runs handoff.min.js, the code that ships.
func TestMinified(t *testing.T) {
	got := buildMinified(t)
	if *update {
		if err := os.WriteFile("handoff.min.js", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("handoff.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("handoff.min.js is out of date: run go test ./static -run TestMinified -update")
	}
}

// TestSingleQuote checks the quoting on the forms that could fool it, and
// that the check catches the one it gets wrong: a regular expression right
// after the ) of an if, which a lexer without a parser takes for a division.
func TestSingleQuote(t *testing.T) {
	for in, want := range map[string]string{
		`a("x")`:                 `a('x')`,
		`a("it's")`:              `a("it's")`,
		`a("x\"y")`:              `a("x\"y")`,
		`a("x\ny")`:              `a("x\ny")`,
		`b=/"/.test(c)`:          `b=/"/.test(c)`,
		`b=c/2/"d".length`:       `b=c/2/'d'.length`,
		"b=`\"${\"x\"}\"`":       "b=`\"${'x'}\"`",
		`b=(1)/"2"`:              `b=(1)/'2'`,
		`c&&/^[\w"-]*$/.test(d)`: `c&&/^[\w"-]*$/.test(d)`,
		`x={a:"b"}["a"]`:         `x={a:'b'}['a']`,
		`x=y/* "c" */+"d"`:       `x=y/* "c" */+'d'`,
	} {
		got, err := singleQuoteChecked(t, []byte(in))
		if err != nil || string(got) != want {
			t.Errorf("singleQuote(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{`if(x)/"a"/.test(y)`, `if(x)/"/.test(y)`} {
		if got, err := singleQuoteChecked(t, []byte(in)); err == nil {
			t.Errorf("singleQuoteChecked(%s) = %s, want an error", in, got)
		}
	}
}
