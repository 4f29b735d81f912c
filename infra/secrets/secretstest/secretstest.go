package secretstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Parameter is one stored SSM parameter.
type Parameter struct {
	Value   string
	Type    string // "SecureString", "String"
	KeyID   string
	Version int64
}

// Call records one API call.
type Call struct {
	Op             string // "GetParameter", "PutParameter", "GetSecretValue"
	Name           string // parameter name or secret id
	WithDecryption bool
}

// Fault makes the next calls of an operation fail.
type Fault struct {
	Status int    // HTTP status, e.g. 400
	Code   string // AWS error code, e.g. "AccessDeniedException"
}

// Server is the stand-in. Its methods are safe for concurrent use.
type Server struct {
	srv     *httptest.Server
	mu      sync.Mutex
	params  map[string]Parameter
	secrets map[string]string
	calls   []Call
	faults  map[string]Fault
}

// New starts a server on 127.0.0.1.
func New() *Server {
	s := &Server{params: map[string]Parameter{}, secrets: map[string]string{}, faults: map[string]Fault{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint for both services.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// PutParameter stores a SecureString parameter.
func (s *Server) PutParameter(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	s.params[name] = Parameter{Value: value, Type: "SecureString", Version: p.Version + 1}
}

// Parameter returns a stored parameter.
func (s *Server) Parameter(name string) (Parameter, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.params[name]
	return p, ok
}

// PutSecret stores a Secrets Manager secret string under id (ARN or name).
func (s *Server) PutSecret(id, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[id] = value
}

// SetFault makes every call of op fail with f until cleared with a zero Fault.
func (s *Server) SetFault(op string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Status == 0 {
		delete(s.faults, op)
		return
	}
	s.faults[op] = f
}

// Calls returns every call so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

type request struct {
	Name           string
	Value          string
	Type           string
	KeyID          string `json:"KeyId"`
	Overwrite      bool
	WithDecryption bool
	SecretID       string `json:"SecretId"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	_, op, _ := strings.Cut(target, ".")
	var in request
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&in) != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "bad request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := in.Name
	if op == "GetSecretValue" {
		name = in.SecretID
	}
	s.calls = append(s.calls, Call{Op: op, Name: name, WithDecryption: in.WithDecryption})
	if f, ok := s.faults[op]; ok {
		writeError(w, f.Status, f.Code, "injected fault")
		return
	}
	switch {
	case target == "AmazonSSM.GetParameter":
		p, ok := s.params[in.Name]
		if !ok {
			writeError(w, http.StatusBadRequest, "ParameterNotFound", "")
			return
		}
		value := p.Value
		if p.Type == "SecureString" && !in.WithDecryption {
			value = "AQICAHencrypted=="
		}
		writeJSON(w, map[string]any{"Parameter": map[string]any{
			"Name": in.Name, "Type": p.Type, "Value": value, "Version": p.Version,
		}})
	case target == "AmazonSSM.PutParameter":
		p, ok := s.params[in.Name]
		if ok && !in.Overwrite {
			writeError(w, http.StatusBadRequest, "ParameterAlreadyExists", "The parameter already exists.")
			return
		}
		typ := in.Type
		if typ == "" {
			typ = p.Type
		}
		s.params[in.Name] = Parameter{Value: in.Value, Type: typ, KeyID: in.KeyID, Version: p.Version + 1}
		writeJSON(w, map[string]any{"Version": p.Version + 1, "Tier": "Standard"})
	case target == "secretsmanager.GetSecretValue":
		v, ok := s.secrets[in.SecretID]
		if !ok {
			writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		writeJSON(w, map[string]any{"ARN": in.SecretID, "Name": in.SecretID, "SecretString": v, "VersionId": "v1"})
	default:
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation "+target)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
