package lambdatest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
)

// Invocation is one recorded Invoke call.
type Invocation struct {
	FunctionName   string
	InvocationType string // X-Amz-Invocation-Type; "" means RequestResponse
	Qualifier      string
	Payload        []byte
}

// Response is what the stand-in answers; the zero value means success.
type Response struct {
	Status    int    // e.g. 500, 429
	ErrorType string // x-amzn-ErrorType, e.g. "TooManyRequestsException", "ServiceException"
	Message   string
}

// Server is the stand-in. Its methods are safe for concurrent use.
type Server struct {
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []Invocation
	respond func(Invocation) Response
	changed chan struct{}
}

// New starts a server on 127.0.0.1.
func New() *Server {
	s := &Server{changed: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint (AWS_ENDPOINT_URL_LAMBDA).
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetResponder decides the answer to each invocation; nil restores success.
func (s *Server) SetResponder(f func(Invocation) Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = f
}

// Fail answers every invocation with status and errorType until SetResponder(nil).
func (s *Server) Fail(status int, errorType string) {
	s.SetResponder(func(Invocation) Response {
		return Response{Status: status, ErrorType: errorType, Message: "injected " + errorType}
	})
}

// Invocations returns every invocation so far, in order.
func (s *Server) Invocations() []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Invocation(nil), s.calls...)
}

// Wait blocks until at least n invocations were recorded or ctx ends, and
// returns the invocations recorded so far.
func (s *Server) Wait(ctx context.Context, n int) ([]Invocation, error) {
	for {
		s.mu.Lock()
		calls, ch := append([]Invocation(nil), s.calls...), s.changed
		s.mu.Unlock()
		if len(calls) >= n {
			return calls, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return calls, ctx.Err()
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	const prefix, suffix = "/2015-03-31/functions/", "/invocations"
	p := r.URL.EscapedPath()
	if r.Method != http.MethodPost || !strings.HasPrefix(p, prefix) || !strings.HasSuffix(p, suffix) {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "unknown path "+p)
		return
	}
	name, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(p, prefix), suffix))
	body, rerr := io.ReadAll(r.Body)
	if err != nil || rerr != nil || name == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "bad request")
		return
	}
	inv := Invocation{
		FunctionName:   name,
		InvocationType: r.Header.Get("X-Amz-Invocation-Type"),
		Qualifier:      r.URL.Query().Get("Qualifier"),
		Payload:        body,
	}
	s.mu.Lock()
	s.calls = append(s.calls, inv)
	close(s.changed)
	s.changed = make(chan struct{})
	respond := s.respond
	s.mu.Unlock()

	var resp Response
	if respond != nil {
		resp = respond(inv)
	}
	switch {
	case resp.Status != 0:
		writeError(w, resp.Status, resp.ErrorType, resp.Message)
	case inv.InvocationType == "Event":
		w.WriteHeader(http.StatusAccepted)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = io.WriteString(w, "null")
	}
}

func writeError(w http.ResponseWriter, status int, errorType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if errorType != "" {
		w.Header().Set("X-Amzn-ErrorType", errorType)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "Service", "message": msg})
}
