package orgsim

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
)

// Media types of the GoodData API.
const (
	mediaJSON    = "application/json"
	mediaJSONAPI = "application/vnd.gooddata.api+json"
	mediaProblem = "application/problem+json"
)

// traceHeader is the header that carries the trace id support asks for.
const traceHeader = "X-GDC-TRACE-ID"

// exchange is one request being answered.
type exchange struct {
	w       *logWriter // records the exchange in the request log
	r       *http.Request
	caller  string            // authenticated user id ("" when none)
	params  map[string]string // path parameters of the matched route
	jsonAPI bool              // the route can answer application/vnd.gooddata.api+json
}

// responseType negotiates the answer's content type like the real server:
// entity endpoints answer application/vnd.gooddata.api+json unless the
// Accept header prefers application/json (the recorded DELETE, sent
// without Accept, answers the vendor type); other endpoints answer
// application/json.
func (x *exchange) responseType() string {
	if !x.jsonAPI {
		return mediaJSON
	}
	for _, part := range strings.Split(strings.Join(x.r.Header.Values("Accept"), ","), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaJSON:
			return mediaJSON
		case mediaJSONAPI, "*/*", "application/*":
			return mediaJSONAPI
		}
	}
	return mediaJSONAPI
}

// writeJSON answers v as JSON with the negotiated content type.
func (x *exchange) writeJSON(status int, v any) {
	x.writeBody(status, x.responseType(), v)
}

func (x *exchange) writeBody(status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // links carry '&'; the real server does not escape it
	if err := enc.Encode(v); err != nil {
		panic(err) // only our own types are encoded
	}
	x.w.Header().Set("Content-Type", contentType)
	x.w.WriteHeader(status)
	_, _ = x.w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// noContent answers 204 with the negotiated content type and no body, as
// the recorded DELETE does.
func (x *exchange) noContent() {
	x.w.Header().Set("Content-Type", x.responseType())
	x.w.WriteHeader(http.StatusNoContent)
}

// problem is an RFC 7807 error body as GoodData sends it.
type problem struct {
	Title   string `json:"title"`
	Status  int    `json:"status"`
	Detail  string `json:"detail"`
	TraceID string `json:"traceId"`
}

// fail answers an application/problem+json error carrying the trace id.
func (x *exchange) fail(status int, detail string) {
	x.writeBody(status, mediaProblem, problem{
		Title:   http.StatusText(status),
		Status:  status,
		Detail:  detail,
		TraceID: x.w.traceID,
	})
}

// baseURL is the scheme and host the client used, for absolute links.
func (x *exchange) baseURL() string {
	scheme := "http"
	if x.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + x.r.Host
}
