package templates

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/gdlogin/gdlogin/static"
)

// palettes reads the colour custom properties of static/app.css: the
// :root block (light) and the :root block inside
// @media (prefers-color-scheme: dark), which overrides it.
func palettes(t *testing.T) map[string]map[string]string {
	t.Helper()
	css, err := static.Pages.ReadFile("app.css")
	if err != nil {
		t.Fatal(err)
	}
	src := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(css), "")
	block := func(from string) string {
		i := strings.Index(src, from)
		if i < 0 {
			t.Fatalf("app.css has no %q", from)
		}
		j := i + strings.Index(src[i:], ":root {")
		k := j + strings.Index(src[j:], "}")
		return src[j:k]
	}
	props := func(b string) map[string]string {
		m := map[string]string{}
		for _, d := range regexp.MustCompile(`--([a-z-]+)\s*:\s*([^;]+);`).FindAllStringSubmatch(b, -1) {
			m[d[1]] = strings.TrimSpace(d[2])
		}
		return m
	}
	light := props(block(":root {"))
	dark := map[string]string{}
	for k, v := range light {
		dark[k] = v
	}
	for k, v := range props(block("@media (prefers-color-scheme: dark)")) {
		dark[k] = v
	}
	return map[string]map[string]string{"light": light, "dark": dark}
}

// luminance is the WCAG 2 relative luminance of #rrggbb.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if !regexp.MustCompile(`^#[0-9a-fA-F]{6}$`).MatchString(hex) {
		t.Fatalf("colour %q is not #rrggbb; the contrast test reads only those", hex)
	}
	var l [3]float64
	for i := range l {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestContrastAA checks every foreground and background pair that
// app.css draws, in light and dark mode: text needs 4.5:1 (WCAG 1.4.3),
// controls' borders, icons and the focus ring 3:1 (WCAG 1.4.11).
func TestContrastAA(t *testing.T) {
	text := [][2]string{
		{"text", "bg"}, {"text", "surface"}, {"text", "code-bg"},
		{"muted", "bg"}, {"muted", "surface"},
		{"accent", "bg"}, {"accent", "surface"}, {"accent-strong", "surface"},
		{"accent", "accent-soft"},
		{"accent-text", "accent"}, {"accent-text", "accent-strong"},
		{"text", "wait-soft"}, {"muted", "wait-soft"},
		{"text", "ok-soft"}, {"muted", "ok-soft"},
		{"text", "err-soft"}, {"muted", "err-soft"},
		{"ok", "surface"},
	}
	ui := [][2]string{
		{"focus", "bg"}, {"focus", "surface"}, {"focus", "code-bg"},
		{"control", "surface"}, {"control", "code-bg"}, {"control", "bg"},
		{"wait", "wait-soft"}, {"ok", "ok-soft"}, {"err", "err-soft"},
		{"ok-soft", "ok"}, {"err-soft", "err"},
		{"ok", "bg"}, {"accent", "bg"},
	}
	all := palettes(t)
	for _, mode := range []string{"light", "dark"} {
		p := all[mode]
		check := func(pairs [][2]string, min float64, what string) {
			for _, pair := range pairs {
				fg, bg := p[pair[0]], p[pair[1]]
				if fg == "" || bg == "" {
					t.Fatalf("%s: --%s or --%s is not defined", mode, pair[0], pair[1])
				}
				c := contrast(t, fg, bg)
				t.Logf("%-5s %-14s on %-12s %5.2f:1", mode, "--"+pair[0], "--"+pair[1], c)
				if c < min {
					t.Errorf("%s: %s --%s %s on --%s %s is %.2f:1, want at least %.1f:1", mode, what, pair[0], fg, pair[1], bg, c, min)
				}
			}
		}
		check(text, 4.5, "text")
		check(ui, 3, "control")
	}
}

// TestColoursComeFromThePalettes: the rules use the custom properties
// that TestContrastAA checks, never a colour of their own.
func TestColoursComeFromThePalettes(t *testing.T) {
	css, err := static.Pages.ReadFile("app.css")
	if err != nil {
		t.Fatal(err)
	}
	src := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(css), "")
	src = regexp.MustCompile(`--[a-z-]+\s*:[^;]+;`).ReplaceAllString(src, "") // the palettes
	for _, c := range regexp.MustCompile(`#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|[:\s](?:white|black|red|green|blue|gr[ae]y)\s*[;!)]`).FindAllString(src, -1) {
		t.Errorf("app.css uses the colour %s outside the custom properties", c)
	}
}

// TestNoThirdPartyAssets: the pages, the style sheet and the page scripts
// name no address but gdlogin's own 127.0.0.1 and the organization the
// page links to.
func TestNoThirdPartyAssets(t *testing.T) {
	urlRE := regexp.MustCompile(`(?i)\b(?:https?:)?//[^\s"'<>()]+`)
	allowed := func(u string) bool {
		for _, ok := range []string{"http://127.0.0.1", "https://analytics.example.com", "https://login.example.com"} {
			if strings.HasPrefix(u, ok) {
				return true
			}
		}
		return false
	}
	for name, c := range pages {
		for _, u := range urlRE.FindAllString(render(t, c), -1) {
			if !allowed(u) {
				t.Errorf("%s names %s", name, u)
			}
		}
	}
	for _, name := range []string{"app.css", "ui.js", "start.js", "callback.js"} {
		b, err := static.Pages.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src := regexp.MustCompile(`(?m)^\s*//.*$`).ReplaceAllString(string(b), "") // comments
		src = strings.ReplaceAll(src, `"http://127.0.0.1:"`, "")
		if u := urlRE.FindString(src); u != "" && !allowed(u) {
			t.Errorf("%s names %s", name, u)
		}
		if name == "app.css" && regexp.MustCompile(`@import|url\(`).MatchString(src) {
			t.Errorf("app.css loads something (@import or url())")
		}
	}
}

// TestAccessibleMarkup checks what a screen reader and a keyboard need on
// every page: the landmarks, one h1, a skip link to main, names for every
// control and region, hidden decoration, no positive tabindex, unique ids
// and references that resolve.
func TestAccessibleMarkup(t *testing.T) {
	for name, c := range pages {
		t.Run(name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(render(t, c)))
			if err != nil {
				t.Fatal(err)
			}
			var all []*html.Node
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.ElementNode {
					all = append(all, n)
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			count := map[string]int{}
			ids := map[string]int{}
			for _, n := range all {
				count[n.Data]++
				if id := attr(n, "id"); id != "" {
					ids[id]++
				}
			}
			for _, tag := range []string{"header", "main", "footer", "h1", "title"} {
				if count[tag] != 1 {
					t.Errorf("%d <%s>, want 1", count[tag], tag)
				}
			}
			for id, n := range ids {
				if n > 1 {
					t.Errorf("id %q is used %d times", id, n)
				}
			}
			for _, n := range all {
				desc := fmt.Sprintf("<%s %v>", n.Data, n.Attr)
				if v := attr(n, "tabindex"); v != "" && v != "0" && v != "-1" {
					t.Errorf("%s: positive tabindex", desc)
				}
				for _, ref := range []string{"aria-labelledby", "aria-describedby", "data-copy"} {
					if v := attr(n, ref); v != "" && ids[v] == 0 {
						t.Errorf("%s: %s names no element", desc, ref)
					}
				}
				if v := attr(n, "href"); n.Data == "a" && v == "#main" && ids["main"] == 0 {
					t.Errorf("the skip link has no target")
				}
				switch {
				case n.Data == "svg" && attr(n, "aria-hidden") != "true" && !hiddenByAncestor(n):
					t.Errorf("%s: an icon that assistive technology would read", desc)
				case n.Data == "button" && attr(n, "type") != "button":
					t.Errorf("%s: a button without type=button", desc)
				case (n.Data == "button" || n.Data == "a") && attr(n, "aria-label") == "" && strings.TrimSpace(textOf(n)) == "":
					t.Errorf("%s: a control without a name", desc)
				case attr(n, "tabindex") == "0" && (attr(n, "role") == "" || attr(n, "aria-label") == ""):
					t.Errorf("%s: a focusable region needs a role and a name", desc)
				case attr(n, "aria-label") != "" && attr(n, "role") == "" && !slicesContains([]string{"a", "button", "section", "aside", "nav", "input", "textarea"}, n.Data):
					t.Errorf("%s: aria-label on an element without a role is ignored", desc)
				}
			}
			if skip := all[indexOf(all, func(n *html.Node) bool { return n.Data == "a" })]; attr(skip, "href") != "#main" {
				t.Errorf("the first link is %s, want the skip link to #main", attr(skip, "href"))
			}
		})
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func hiddenByAncestor(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if attr(p, "aria-hidden") == "true" {
			return true
		}
	}
	return false
}

func indexOf(ns []*html.Node, f func(*html.Node) bool) int {
	for i, n := range ns {
		if f(n) {
			return i
		}
	}
	return 0
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
