package cloudrunjobtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Metadata is a stand-in GCE metadata server. It requires the
// Metadata-Flavor: Google header, as the real one does, and serves
//
//	/computeMetadata/v1/instance/service-accounts/default/token
//	/computeMetadata/v1/project/project-id
type Metadata struct {
	srv   *httptest.Server
	token string

	mu           sync.Mutex
	tokenCalls   int
	missedHeader int
}

// NewMetadata starts a metadata server that hands out token.
func NewMetadata(token string) *Metadata {
	m := &Metadata{token: token}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	return m
}

// Host is the value for GCE_METADATA_HOST (127.0.0.1:PORT).
func (m *Metadata) Host() string { return strings.TrimPrefix(m.srv.URL, "http://") }

// Close stops the server.
func (m *Metadata) Close() { m.srv.Close() }

// TokenCalls is the number of token requests served.
func (m *Metadata) TokenCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokenCalls
}

// MissedHeader is the number of requests refused for lack of Metadata-Flavor: Google.
func (m *Metadata) MissedHeader() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.missedHeader
}

func (m *Metadata) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Metadata-Flavor", "Google")
	if r.Header.Get("Metadata-Flavor") != "Google" {
		m.mu.Lock()
		m.missedHeader++
		m.mu.Unlock()
		http.Error(w, "missing Metadata-Flavor: Google header", http.StatusForbidden)
		return
	}
	switch r.URL.Path {
	case "/computeMetadata/v1/instance/service-accounts/default/token":
		m.mu.Lock()
		m.tokenCalls++
		m.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": m.token, "expires_in": 3599, "token_type": "Bearer",
		})
	case "/computeMetadata/v1/project/project-id":
		_, _ = w.Write([]byte("test-project"))
	default:
		http.NotFound(w, r)
	}
}
