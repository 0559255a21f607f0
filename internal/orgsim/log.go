package orgsim

import (
	"encoding/hex"
	"net/http"
	"slices"
)

// Request is one exchange in the request log.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// Header holds the request headers; every Authorization, Proxy-Authorization
	// and Cookie value is replaced by "REDACTED".
	Header http.Header
	// Status is the status code of the answer.
	Status int
	// TraceID is the X-GDC-TRACE-ID of the answer ("" when it had none).
	TraceID string
	// Auth says who the request was authenticated as: "bearer:<userId>"
	// (API token), "jwt:<sub>", "session:<userId>", "none" or "invalid"
	// (a bearer that was refused).
	Auth string
}

// Redacted is what replaces credentials in the request log.
const Redacted = "REDACTED"

// Requests returns the request log, in the order the answers were sent.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = nil
}

// logWriter records the exchange when the status is written, which is
// before any byte reaches the client: a test that has its answer therefore
// always finds it in the log.
type logWriter struct {
	http.ResponseWriter
	s       *Server
	entry   Request
	traceID string
	auth    string
	written bool
}

func (s *Server) newLogWriter(w http.ResponseWriter, r *http.Request) *logWriter {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		if vs, ok := h[k]; ok {
			h[k] = slices.Repeat([]string{Redacted}, len(vs))
		}
	}
	return &logWriter{
		ResponseWriter: w,
		s:              s,
		entry:          Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: h},
		traceID:        hex.EncodeToString(randomBytes(16)),
		auth:           "none",
	}
}

func (lw *logWriter) WriteHeader(status int) {
	if lw.written {
		return
	}
	lw.written = true
	lw.entry.Status = status
	lw.entry.TraceID = lw.Header().Get(traceHeader)
	lw.entry.Auth = lw.auth
	lw.s.logMu.Lock()
	lw.s.log = append(lw.s.log, lw.entry)
	lw.s.logMu.Unlock()
	lw.ResponseWriter.WriteHeader(status)
}

func (lw *logWriter) Write(b []byte) (int, error) {
	if !lw.written {
		lw.WriteHeader(http.StatusOK)
	}
	return lw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (lw *logWriter) Unwrap() http.ResponseWriter { return lw.ResponseWriter }

// finish makes sure an exchange that wrote nothing is still answered and
// recorded.
func (lw *logWriter) finish() {
	if !lw.written {
		lw.WriteHeader(http.StatusOK)
	}
}
