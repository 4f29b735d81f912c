package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// forgedRequest is one webhook call that must not be accepted.
type forgedRequest struct {
	method, url, body string
	header            http.Header
}

// forgedRequests returns n calls to the serve at base that carry no valid
// secret: random secrets, near misses of the real one, the secret in the
// wrong place, every method, with valid and invalid bodies. "{rand}" in a
// path is a fresh random 64-hex-digit secret for each call.
func forgedRequests(t *testing.T, base string, n int) []forgedRequest {
	t.Helper()
	random := func() string {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		require.NoError(t, err)
		return hex.EncodeToString(b)
	}
	start := func(id int) string {
		return fmt.Sprintf(`{"action":"start","project_id":1,"task_id":%d,"template_id":1,"runner_id":1}`, id)
	}
	finish := func(id int) string { return fmt.Sprintf(`{"action":"finish","task_id":%d}`, id) }
	garbage := func(int) string { return "\x00\xff{[" }
	none := func(int) string { return "" }
	inHeaders := http.Header{"Authorization": {"Bearer " + hookSecret}, "X-Webhook-Secret": {hookSecret}}
	kinds := []struct {
		method, path string
		body         func(int) string
		header       http.Header
	}{
		{"POST", "/hook/{rand}", start, nil},
		{"POST", "/hook/" + hookSecret[:len(hookSecret)-1], start, nil}, // a prefix
		{"POST", "/hook/" + hookSecret + "0", start, nil},               // a suffix
		{"POST", "/hook/" + strings.ToUpper(hookSecret), start, nil},
		{"POST", "/hook", start, nil},
		{"POST", "/hook/", start, nil},
		{"POST", "/hook?secret={rand}", start, nil},
		{"POST", "/hook/{rand}?secret=", start, nil},
		{"POST", "/hook/" + hookSecret + "/x", start, nil},
		{"POST", "/hook/" + hookSecret + "%20", start, nil},
		{"POST", "/hook?secret={rand}&secret=" + hookSecret, start, nil}, // the first value counts
		{"POST", "/hook/{rand}?Secret=" + hookSecret, start, nil},        // the key is case-sensitive
		{"POST", "/hook", start, inHeaders},                              // headers carry no secret
		{"POST", "/hook/{rand}", finish, nil},
		{"POST", "/hook/{rand}", garbage, nil},
		{"GET", "/hook/{rand}", none, nil},
		{"PUT", "/hook/{rand}", start, nil},
		{"DELETE", "/hook", none, nil},
	}
	out := make([]forgedRequest, n)
	for i := range out {
		k := kinds[i%len(kinds)]
		path := strings.ReplaceAll(k.path, "{rand}", random())
		out[i] = forgedRequest{k.method, base + path, k.body(i + 1), k.header}
	}
	return out
}

// sendAll sends reqs from a few concurrent workers over keep-alive
// connections and returns each answer's status (0: transport error).
func sendAll(t *testing.T, reqs []forgedRequest) []int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	t.Cleanup(client.CloseIdleConnections)
	codes := make([]int, len(reqs))
	errs := make([]error, len(reqs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := reqs[i]
				req, err := http.NewRequest(r.method, r.url, strings.NewReader(r.body))
				if err != nil {
					errs[i] = err
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				for k, v := range r.header {
					req.Header[k] = v
				}
				resp, err := client.Do(req)
				if err != nil {
					errs[i] = err
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				codes[i] = resp.StatusCode
			}
		}()
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "%s %s", reqs[i].method, reqs[i].url)
	}
	return codes
}

// 1,000 forged webhooks in a row: every one is answered 401, nothing is
// launched and nothing polls the server; then a real start with the right
// secret runs its task to success, once, while forged start and finish
// calls for that very task keep coming.
func TestServeThousandForgedWebhooks(t *testing.T) {
	ctx := testCtx(t)
	e := newServeEnv(t, semaphoretest.V2026, "", hookSecret)
	repo := filepath.Join(e.dir, "count-repo")
	_, err := fixture.GitRepo(repo, map[string]string{"count.sh": "echo ran >> \"$1\"\necho counted\n"})
	require.NoError(t, err)
	s := e.start(t)

	const n = 1000
	reqs := forgedRequests(t, e.base, n)
	codes := sendAll(t, reqs)
	for i, c := range codes {
		if !assert.Equal(t, http.StatusUnauthorized, c, "%s %s", reqs[i].method, reqs[i].url) {
			break
		}
	}
	assert.Equal(t, float64(n), s.metric(t, `mayfly_webhook_requests_total{action="",result="unauthorized"}`))
	assert.Equal(t, -1.0, s.metric(t, `mayfly_webhook_requests_total{action="start",result="accepted"}`))
	assert.Equal(t, -1.0, s.metric(t, `mayfly_launches_total{result="started"}`), "nothing launched")
	assert.Equal(t, 0.0, s.metric(t, `mayfly_runners_running`))
	assert.Empty(t, processes(func(ppid, _ int) bool { return ppid == s.cmd.Process.Pid }), "no runner process")
	info, ok := e.srv.Runner(e.runner)
	require.True(t, ok)
	assert.Zero(t, info.Polls, "no runner polled the server")
	assert.Zero(t, e.srv.Stats().Polls)
	code, _ := s.get(t, "/healthz")
	assert.Equal(t, 200, code)

	// The real thing, with forged calls for the same task id in flight.
	counter := filepath.Join(e.dir, "count")
	job := fixture.ShellJob("bash", "file://"+repo, "count.sh")
	args := fmt.Sprintf(`[%q]`, counter)
	job.Template.Arguments = &args
	id := e.srv.AddTask(e.runner, job, fixture.NoneKey())
	var forged []forgedRequest
	for i := range 50 {
		action := "start"
		if i%2 == 1 {
			action = "finish"
		}
		forged = append(forged, forgedRequest{"POST", e.base + "/hook/" + strings.Repeat("f", len(hookSecret)),
			fmt.Sprintf(`{"action":%q,"task_id":%d}`, action, id), nil})
	}
	for _, c := range sendAll(t, forged) {
		assert.Equal(t, http.StatusUnauthorized, c)
	}
	done, err := e.srv.WaitFinished(ctx, id)
	require.NoError(t, err, s.stderr.String())
	assert.Equal(t, api.StatusSuccess, done.Status, strings.Join(e.srv.Messages(id), "\n"))
	assert.Contains(t, e.srv.Messages(id), "counted")
	require.NotEmpty(t, done.WebhookCalls)
	assert.Equal(t, semaphoretest.WebhookCall{Action: "start", StatusCode: 204}, done.WebhookCalls[0])
	s.waitMetric(t, `mayfly_runner_exits_total{outcome="success"}`, 1)
	runs, err := os.ReadFile(counter)
	require.NoError(t, err)
	assert.Equal(t, "ran\n", string(runs), "the task ran exactly once")
	assert.Equal(t, 1.0, s.metric(t, `mayfly_launches_total{result="started"}`))
	assert.Equal(t, float64(n+len(forged)), s.metric(t, `mayfly_webhook_requests_total{action="",result="unauthorized"}`))
	assert.Equal(t, 0, s.stop(t), s.stderr.String())
	assert.NotContains(t, s.stderr.String()+s.stdout.String(), hookSecret)
}

// testPKI is a CA and a server certificate it signed for 127.0.0.1.
type testPKI struct {
	caFile string // PEM of the CA certificate
	cert   tls.Certificate
}

func newTestPKI(t *testing.T, dir, name string) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mayfly test CA " + name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	cert, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	require.NoError(t, err)

	caFile := filepath.Join(dir, name+"-ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))
	return testPKI{caFile: caFile, cert: cert}
}

// HTTPS end to end with a private CA: the in-memory server behind TLS on
// 127.0.0.1 with a certificate from the test's own CA. `mayfly run` trusts
// it only through runner.connection.server_ca_cert_file (or the explicit
// skip_tls_verify opt-in); without it, or with another CA, run fails with
// the TLS error and exit code 5, and no request reaches the server.
func TestRunHTTPSWithCustomCA(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	pki := newTestPKI(t, dir, "good")
	other := newTestPKI(t, dir, "other")

	srv := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	t.Cleanup(srv.Close)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{pki.cert}, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	require.True(t, strings.HasPrefix(ts.URL, "https://127.0.0.1:"), ts.URL)

	runner, token := srv.AddRunner(semaphoretest.RunnerSpec{Name: "tls", Active: true})
	tokenFile := filepath.Join(dir, "runner.token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token), 0o600))
	repo := filepath.Join(dir, "repo")
	_, err := fixture.GitRepo(repo, map[string]string{"hello.sh": "echo hello over tls\n"})
	require.NoError(t, err)

	writeConfig := func(name, connection, wait string) string {
		p := filepath.Join(dir, name+".json")
		cfg := fmt.Sprintf(`{"web_host": %q, "tmp_path": %q,
  "runner": {"token_file": %q%s},
  "mayfly": {"poll_interval": "100ms", "task_wait_timeout": %q}}`,
			ts.URL, filepath.Join(dir, "tmp"), tokenFile, connection, wait)
		require.NoError(t, os.WriteFile(p, []byte(cfg), 0o600))
		return p
	}
	runTask := func(cfg string) (int, result) {
		id := srv.AddTask(runner, fixture.ShellJob("bash", "file://"+repo, "hello.sh"), fixture.NoneKey())
		return id, mayfly(t, ctx, "", "run", "--config", cfg, "--task-id", fmt.Sprint(id))
	}

	t.Run("trusted CA", func(t *testing.T) {
		cfg := writeConfig("ca", fmt.Sprintf(`, "connection": {"server_ca_cert_file": %q}`, pki.caFile), "20s")
		id, r := runTask(cfg)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, api.StatusSuccess, srv.Task(id).Status)
		assert.Contains(t, srv.Messages(id), "hello over tls")
	})
	for _, c := range []struct{ name, connection string }{
		{"no CA", ""},
		{"another CA", fmt.Sprintf(`, "connection": {"server_ca_cert_file": %q}`, other.caFile)},
	} {
		t.Run(c.name, func(t *testing.T) {
			polls := srv.Stats().Polls
			id, r := runTask(writeConfig(strings.ReplaceAll(c.name, " ", "-"), c.connection, "2s"))
			assert.Equal(t, exitUnreachable, r.code, r.stderr)
			assert.Contains(t, r.stderr, "certificate signed by unknown authority")
			assert.Contains(t, r.stderr, "runner.connection.server_ca_cert_file", "the hint names the setting")
			assert.NotContains(t, r.stderr, token)
			assert.Equal(t, polls, srv.Stats().Polls, "no request got through the TLS handshake")
			info := srv.Task(id)
			assert.NotContains(t, info.History, api.StatusRunning)
			assert.Empty(t, srv.Messages(id))
		})
	}
	t.Run("skip_tls_verify opt-in", func(t *testing.T) {
		cfg := writeConfig("skip", `, "connection": {"skip_tls_verify": true}`, "20s")
		id, r := runTask(cfg)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, api.StatusSuccess, srv.Task(id).Status)
		assert.Contains(t, r.stderr, "skip_tls_verify is on", "the opt-in is loud")
	})
}

// Neither the runner token nor the webhook secret nor the registration
// token appears in mayfly's own output at debug level: `register`, `serve`
// with the `run` child it launches (its output is relayed into serve's
// log), and a direct `run`; nor in the task log of a task that dumps its
// environment.
func TestSecretsNotInMayflyDebugLogs(t *testing.T) {
	ctx := testCtx(t)
	const debug = `, "log_level": "debug"`
	envRepo := func(e *testEnv) string {
		p := filepath.Join(e.dir, "env-repo")
		_, err := fixture.GitRepo(p, map[string]string{"env.sh": "echo task-start\nenv | sort\necho \"args: $*\"\n"})
		require.NoError(t, err)
		return "file://" + p
	}
	noSecrets := func(t *testing.T, where, text string, secrets ...string) {
		t.Helper()
		for _, s := range secrets {
			assert.NotContains(t, text, s, "%s contains a secret", where)
		}
	}

	t.Run("register", func(t *testing.T) {
		e := newEnv(t, semaphoretest.V2026, debug)
		r := mayfly(t, ctx, "reg-secret-1234\n", "register", "--config", e.config, "--stdin-registration-token")
		require.Equal(t, exitOK, r.code, r.stderr)
		token, err := os.ReadFile(e.tokenFile)
		require.NoError(t, err)
		assert.Contains(t, r.stderr, "level=DEBUG", "debug logging is on")
		noSecrets(t, "register output", r.stdout+r.stderr, "reg-secret-1234", strings.TrimSpace(string(token)))
	})

	t.Run("serve and its runner", func(t *testing.T) {
		e := newServeEnv(t, semaphoretest.V2026, debug, hookSecret)
		tokenBytes, err := os.ReadFile(e.tokenFile)
		require.NoError(t, err)
		token := strings.TrimSpace(string(tokenBytes))
		s := e.start(t)

		job := fixture.ShellJob("bash", envRepo(e.testEnv), "env.sh")
		args := `["from-webhook"]`
		job.Template.Arguments = &args
		id := e.srv.AddTask(e.runner, job, fixture.NoneKey())
		info, err := e.srv.WaitFinished(ctx, id)
		require.NoError(t, err, s.stderr.String())
		require.Equal(t, api.StatusSuccess, info.Status, strings.Join(e.srv.Messages(id), "\n"))
		s.waitMetric(t, `mayfly_runner_exits_total{outcome="success"}`, 1)
		// The secret in the query, a finish, and a forged call.
		code, _ := httpDo(t, e.base+"/hook?secret="+hookSecret, "POST", `{"action":"finish","task_id":987}`)
		assert.Equal(t, 204, code)
		code, _ = httpDo(t, e.base+"/hook/"+strings.Repeat("0", 40), "POST", `{"action":"start","task_id":988}`)
		assert.Equal(t, 401, code)
		require.Equal(t, 0, s.stop(t))

		logs := s.stderr.String() + s.stdout.String()
		assert.Contains(t, logs, "level=DEBUG", "debug logging is on")
		assert.Contains(t, logs, fmt.Sprintf("task=%d", id), "the runner's output is in serve's log")
		noSecrets(t, "serve output", logs, token, hookSecret)
		taskLog := strings.Join(e.srv.Messages(id), "\n")
		assert.Contains(t, taskLog, "args: from-webhook")
		noSecrets(t, "task log", taskLog, token, hookSecret)
	})

	t.Run("run", func(t *testing.T) {
		e := newEnv(t, semaphoretest.V2026, debug)
		runner := e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
		tokenBytes, err := os.ReadFile(e.tokenFile)
		require.NoError(t, err)
		id := e.srv.AddTask(runner, fixture.ShellJob("bash", envRepo(e), "env.sh"), fixture.NoneKey())
		r := mayfly(t, ctx, "", "run", "--config", e.config, "--task-id", fmt.Sprint(id))
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stderr, "level=DEBUG")
		noSecrets(t, "run output", r.stdout+r.stderr, strings.TrimSpace(string(tokenBytes)))
		noSecrets(t, "task log", strings.Join(e.srv.Messages(id), "\n"), strings.TrimSpace(string(tokenBytes)))
	})
}
