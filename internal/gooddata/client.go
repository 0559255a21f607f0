// Package gooddata is gdlogin's client for the small part of the GoodData
// API it needs: who am I (/profile) and the API tokens of a user (create,
// list, get, delete). It finds out whether the server speaks the current
// /api/v1 paths or the legacy /api ones, turns every failure into a typed
// error that carries the HTTP status, the problem+json title and detail and
// the X-GDC-TRACE-ID, and never logs or formats a secret.
package gooddata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gdlogin/gdlogin/internal/httpclient"
)

// MaxBodyBytes bounds every response body the client reads.
const MaxBodyBytes = httpclient.DefaultMaxBody

// Media types of the GoodData API.
const (
	MediaJSONAPI = "application/vnd.gooddata.api+json"
	MediaJSON    = "application/json"
	MediaProblem = "application/problem+json"
)

// Generation says which path layout a server speaks.
type Generation int

const (
	// GenerationUnknown means no call has told yet.
	GenerationUnknown Generation = iota
	// GenerationV1 is /api/v1/... (GoodData.CN 2.0 and later, GoodData Cloud).
	GenerationV1
	// GenerationLegacy is /api/... without /v1 (older GoodData.CN).
	GenerationLegacy
)

func (g Generation) prefix() string {
	if g == GenerationLegacy {
		return "/api"
	}
	return "/api/v1"
}

func (g Generation) String() string {
	switch g {
	case GenerationV1:
		return "/api/v1"
	case GenerationLegacy:
		return "/api (legacy)"
	}
	return "unknown"
}

// TraceEvent describes one HTTP exchange for --verbose. It never holds a
// secret: no headers, no bodies.
type TraceEvent struct {
	Method   string
	URL      string
	Status   int // 0 when no answer came
	TraceID  string
	Duration time.Duration
	Err      error
}

// Options configure a Client.
type Options struct {
	// HTTPClient does the requests; nil means httpclient.New with its
	// defaults (the client sets the User-Agent, caps bodies and never
	// follows redirects).
	HTTPClient *http.Client
	// Trace, when set, is told about every exchange.
	Trace func(TraceEvent)
}

// Client talks to one organization with one bearer token. It is safe for
// concurrent use.
type Client struct {
	org   *url.URL
	token string
	opts  Options
	gen   *generationCache
}

type generationCache struct {
	mu  sync.Mutex
	gen Generation
}

func (g *generationCache) get() Generation {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gen
}

func (g *generationCache) set(v Generation) {
	g.mu.Lock()
	g.gen = v
	g.mu.Unlock()
}

// New returns a client for the organization at orgURL (an origin as
// returned by ParseOrgURL) that authenticates with token.
func New(orgURL string, token string, opts Options) (*Client, error) {
	u, err := url.Parse(orgURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("organization URL %q is not an absolute URL", orgURL)
	}
	if opts.HTTPClient == nil {
		hc, err := httpclient.New(httpclient.Config{})
		if err != nil {
			return nil, err
		}
		opts.HTTPClient = hc
	}
	return &Client{org: &url.URL{Scheme: u.Scheme, Host: u.Host}, token: token, opts: opts, gen: &generationCache{}}, nil
}

// WithToken returns a client for the same organization that uses another
// token. It shares what the first client learnt about the server.
func (c *Client) WithToken(token string) *Client {
	return &Client{org: c.org, token: token, opts: c.opts, gen: c.gen}
}

// Org returns the organization origin, e.g. https://analytics.example.com.
func (c *Client) Org() string { return c.org.String() }

// Generation reports which path layout the server was found to speak.
func (c *Client) Generation() Generation { return c.gen.get() }

// String never shows the token.
func (c *Client) String() string { return "gooddata.Client{" + c.Org() + "}" }

// Warm opens, or keeps alive, a connection to the organization, so that
// the next call does not wait for the DNS lookup, the TCP connection and
// the TLS handshake: a login warms it while the token is on its way, since
// the token's verification is on the path the user waits on. It sends one
// HEAD of the organization's root, without credentials, reads nothing and
// ignores the answer; it gives up after ten seconds.
func (c *Client) Warm(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.org.String()+"/", nil)
	if err != nil {
		return
	}
	res, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return
	}
	// A HEAD answer has no body; closing it returns the connection to
	// the pool.
	res.Body.Close()
}

// request is one API call.
type request struct {
	op     string // what the caller was doing, for messages: "create API token"
	method string
	path   string // below the generation prefix, e.g. "/profile"
	query  url.Values
	body   any
	want   int // the success status
}

// response is a successful answer.
type response struct {
	status  int
	header  http.Header
	body    []byte
	traceID string
}

func (c *Client) url(gen Generation, r request) string {
	u := *c.org
	u.Path = gen.prefix() + r.path
	if len(r.query) > 0 {
		u.RawQuery = encodeQuery(r.query)
	}
	return u.String()
}

// encodeQuery keeps page before size, as the GoodData SDKs send them.
func encodeQuery(q url.Values) string {
	var parts []string
	for _, k := range []string{"page", "size"} {
		if v, ok := q[k]; ok {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v[0]))
		}
	}
	for k, vs := range q {
		if k == "page" || k == "size" {
			continue
		}
		for _, v := range vs {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// call runs r against the known generation; when the generation is not
// known yet it asks the profile endpoint first, because only that endpoint
// tells a legacy server apart from a missing resource.
func (c *Client) call(ctx context.Context, r request) (*response, error) {
	gen := c.gen.get()
	if gen == GenerationUnknown {
		if _, err := c.detect(ctx); err != nil {
			return nil, err
		}
		gen = c.gen.get()
	}
	return c.exchange(ctx, gen, r)
}

// detect finds the generation with GET /profile: /api/v1 first, /api on 404.
func (c *Client) detect(ctx context.Context) (*response, error) {
	r := request{op: "read profile", method: http.MethodGet, path: "/profile", want: http.StatusOK}
	resp, err := c.exchange(ctx, GenerationV1, r)
	if err == nil {
		c.gen.set(GenerationV1)
		return resp, nil
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		return nil, err
	}
	resp, lerr := c.exchange(ctx, GenerationLegacy, r)
	if lerr == nil {
		c.gen.set(GenerationLegacy)
		return resp, nil
	}
	if errors.As(lerr, &ae) && ae.Status == http.StatusNotFound {
		return nil, &APIError{Op: r.op, Method: r.method, URL: c.url(GenerationV1, r), Status: http.StatusNotFound,
			Kind: KindNotGoodData, TraceID: ae.TraceID,
			Detail: "neither " + c.url(GenerationV1, r) + " nor " + c.url(GenerationLegacy, r) + " exists"}
	}
	return nil, lerr
}

func (c *Client) exchange(ctx context.Context, gen Generation, r request) (*response, error) {
	target := c.url(gen, r)
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("%s: encode request: %w", r.op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.op, err)
	}
	req.Header.Set("Accept", MediaJSON)
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	if r.body != nil {
		req.Header.Set("Content-Type", MediaJSONAPI)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	start := time.Now()
	res, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		nerr := classifyTransport(ctx, r.op, c.org, err)
		c.trace(TraceEvent{Method: r.method, URL: target, Duration: time.Since(start), Err: nerr})
		return nil, nerr
	}
	defer res.Body.Close()
	traceID := res.Header.Get("X-GDC-TRACE-ID")
	data, rerr := io.ReadAll(io.LimitReader(res.Body, MaxBodyBytes+1))
	c.trace(TraceEvent{Method: r.method, URL: target, Status: res.StatusCode, TraceID: traceID, Duration: time.Since(start), Err: rerr})
	var tooLarge *httpclient.BodyTooLargeError
	if rerr != nil && !errors.As(rerr, &tooLarge) {
		return nil, classifyTransport(ctx, r.op, c.org, rerr)
	}
	if len(data) > MaxBodyBytes || tooLarge != nil {
		return nil, &APIError{Op: r.op, Method: r.method, URL: target, Status: res.StatusCode, TraceID: traceID,
			Kind: KindNotGoodData, Detail: fmt.Sprintf("the answer is larger than %d bytes", MaxBodyBytes)}
	}
	if res.StatusCode != r.want {
		return nil, newAPIError(r, target, res, data)
	}
	if len(data) > 0 && !isJSONMedia(res.Header.Get("Content-Type")) {
		return nil, &APIError{Op: r.op, Method: r.method, URL: target, Status: res.StatusCode, TraceID: traceID,
			Kind: KindNotGoodData, Detail: "the answer is " + describeMedia(res.Header.Get("Content-Type"), data) + ", not JSON"}
	}
	return &response{status: res.StatusCode, header: res.Header, body: data, traceID: traceID}, nil
}

func (c *Client) trace(ev TraceEvent) {
	if c.opts.Trace != nil {
		c.opts.Trace(ev)
	}
}

func isJSONMedia(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == MediaJSON || mt == MediaJSONAPI || mt == MediaProblem
}

func describeMedia(ct string, body []byte) string {
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<!doctype html")) || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<html")) {
		return "an HTML page"
	}
	if ct == "" {
		return "of no declared type"
	}
	return "of type " + ct
}

// decode parses a successful JSON answer.
func decode(r request, target string, resp *response, v any) error {
	if err := json.Unmarshal(resp.body, v); err != nil {
		return &APIError{Op: r.op, Method: r.method, URL: target, Status: resp.status, TraceID: resp.traceID,
			Kind: KindNotGoodData, Detail: "the answer is not the JSON this API returns: " + err.Error()}
	}
	return nil
}

// GoString never shows the token either.
func (c *Client) GoString() string { return c.String() }
