package webhook

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onlyReader hides everything but Read, so that net/http cannot learn the
// length and sends the body chunked.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// Bodies over MaxBodyBytes get 413 whether the length is declared or not
// (chunked), nothing is launched, and the limit is inclusive over a real
// connection too. TestHandlerAnswers, TestHandlerDeclaredLengthOverLimit and
// TestBadInputOverHTTP cover declared lengths; this adds chunked bodies and
// a declared length whose body never comes.
func TestOversizeBodiesOverHTTP(t *testing.T) {
	l := &fakeLauncher{}
	h, obs := newTestHandler(t, l)
	var mu sync.Mutex
	var seen []string // how each request's length reached the server
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%d %v", r.ContentLength, r.TransferEncoding))
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	hook := srv.URL + "/hook/" + testSecret
	lastSeen := func() string {
		mu.Lock()
		defer mu.Unlock()
		return seen[len(seen)-1]
	}

	prefix, suffix := `{"action":"start","task_id":7,"pad":"`, `"}`
	exact := prefix + strings.Repeat("x", MaxBodyBytes-len(prefix)-len(suffix)) + suffix
	require.Len(t, exact, MaxBodyBytes)
	over := exact[:len(exact)-len(suffix)] + "x" + suffix

	for _, c := range []struct {
		name    string
		body    string
		chunked bool
		status  int
	}{
		{"declared, one byte over", over, false, 413},
		{"chunked, one byte over", over, true, 413},
		{"chunked, 64 KiB", `{"action":"start","task_id":8,"pad":"` + strings.Repeat("y", 64<<10) + `"}`, true, 413},
		{"chunked, 200 KiB of whitespace", strings.Repeat(" ", 200<<10), true, 413},
		{"chunked, valid object then padding", startBody + strings.Repeat(" ", MaxBodyBytes), true, 413},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(c.body)
			if c.chunked {
				body = onlyReader{body}
			}
			req, err := http.NewRequest("POST", hook, body)
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			assert.Equal(t, c.status, resp.StatusCode, string(b))
			if c.chunked {
				assert.Equal(t, "-1 [chunked]", lastSeen(), "no declared length")
			} else {
				assert.Equal(t, fmt.Sprintf("%d []", len(c.body)), lastSeen())
			}
			assert.Contains(t, string(b), fmt.Sprintf("body over %d bytes", MaxBodyBytes))
		})
	}
	assert.Empty(t, l.Launches(), "nothing launched for an oversize body")
	assert.Equal(t, 5, count(obs.get(), "/too_large"))

	// The limit is inclusive: exactly MaxBodyBytes, chunked, is a start.
	req, err := http.NewRequest("POST", hook, onlyReader{strings.NewReader(exact)})
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, "-1 [chunked]", lastSeen())
	assert.Equal(t, 204, resp.StatusCode)
	assert.Len(t, l.Launches(), 1)
}

// A declared Content-Length far over the limit is refused from the headers
// alone: the answer comes although the body is never sent (net/http drains
// at most 256 KiB of an unread body, so a small excess would wait for it). With a wrong
// secret the answer is 401, also without reading the body. Raw TCP, because
// an HTTP client would insist on sending the body it declared.
func TestDeclaredLengthRefusedBeforeTheBody(t *testing.T) {
	l := &fakeLauncher{}
	h, _ := newTestHandler(t, l)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")

	for _, c := range []struct {
		path   string
		length int64
		status int
	}{
		{"/hook/" + testSecret, 1 << 40, 413},
		{"/hook/" + strings.Repeat("0", len(testSecret)), 1 << 40, 401},
		{"/hook", 1 << 30, 401},
	} {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			c.path, addr, c.length)
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err, "an answer before any body byte")
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		_ = conn.Close()
		assert.Equal(t, c.status, resp.StatusCode, "%s with Content-Length %d", c.path, c.length)
	}
	assert.Empty(t, l.Launches())
}
