package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/secrets/secretstest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

// awsEnv points the AWS SDK at the SSM stand-in with fake credentials and
// keeps the developer's AWS files out.
func awsEnv(t *testing.T, ssm *secretstest.Server, region bool) []string {
	dir := t.TempDir()
	env := []string{
		"AWS_ENDPOINT_URL_SSM=" + ssm.URL(),
		"AWS_ACCESS_KEY_ID=AKIDMAYFLYTEST",
		"AWS_SECRET_ACCESS_KEY=fake-secret-key",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if region {
		env = append(env, "AWS_REGION=eu-west-1")
	}
	return env
}

// mayflyWithEnv is mayfly with extra environment variables, AWS_* from the
// developer's environment removed.
func mayflyWithEnv(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := mayflyCmd(testCtx(t), args...)
	kept := cmd.Env[:0]
	for _, kv := range cmd.Env {
		if !strings.HasPrefix(kv, "AWS_") {
			kept = append(kept, kv)
		}
	}
	cmd.Env = append(kept, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "mayfly %v: %v", args, err)
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func TestRegisterIntoSSM(t *testing.T) {
	e := newEnv(t, semaphoretest.V2026, "")
	ssm := secretstest.New()
	t.Cleanup(ssm.Close)
	env := append(awsEnv(t, ssm, true), "SEMAPHORE_WEB_ROOT="+e.srv.URL())

	r := mayflyWithEnv(t, "reg-secret-1234\n", env, "register", "--no-config", "--stdin-registration-token",
		"--token-ssm-parameter", "/mayfly/runner-token", "--kms-key-id", "alias/mayfly",
		"--webhook", "https://abc.lambda-url.eu-west-1.on.aws/hook/0123456789abcdef0123456789abcdef")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "SSM SecureString parameter /mayfly/runner-token")
	runners := e.srv.Runners()
	require.Len(t, runners, 1)
	p, ok := ssm.Parameter("/mayfly/runner-token")
	require.True(t, ok)
	assert.Equal(t, secretstest.Parameter{Value: runners[0].Token, Type: "SecureString", KeyID: "alias/mayfly", Version: 1}, p)
	assert.NotContains(t, r.stdout+r.stderr, runners[0].Token)
	assert.NotContains(t, r.stdout+r.stderr, "reg-secret-1234")
	assert.Equal(t, "https://abc.lambda-url.eu-west-1.on.aws/hook/0123456789abcdef0123456789abcdef", runners[0].Webhook)

	// Registering again overwrites the parameter: the token rotates.
	r = mayflyWithEnv(t, "reg-secret-1234\n", env, "register", "--no-config", "--stdin-registration-token",
		"--token-ssm-parameter", "/mayfly/runner-token")
	require.Equal(t, 0, r.code, r.stderr)
	p, _ = ssm.Parameter("/mayfly/runner-token")
	assert.Equal(t, int64(2), p.Version)
	assert.Equal(t, e.srv.Runners()[1].Token, p.Value)
}

func TestRegisterIntoSSMFailsEarly(t *testing.T) {
	e := newEnv(t, semaphoretest.V2026, "")
	ssm := secretstest.New()
	t.Cleanup(ssm.Close)

	// No region: refused before anything is registered.
	env := append(awsEnv(t, ssm, false), "SEMAPHORE_WEB_ROOT="+e.srv.URL())
	r := mayflyWithEnv(t, "reg-secret-1234\n", env, "register", "--no-config", "--stdin-registration-token", "--token-ssm-parameter", "/p")
	assert.Equal(t, exitConfig, r.code, r.stderr)
	assert.Contains(t, r.stderr, "AWS_REGION")
	assert.Empty(t, e.srv.Runners())

	r = mayflyWithEnv(t, "", env, "register", "--no-config", "--kms-key-id", "alias/x")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--token-ssm-parameter")

	// Access denied at write time: registered, but the user is told what to do.
	ssm.SetFault("PutParameter", secretstest.Fault{Status: 400, Code: "AccessDeniedException"})
	env = append(awsEnv(t, ssm, true), "SEMAPHORE_WEB_ROOT="+e.srv.URL())
	r = mayflyWithEnv(t, "reg-secret-1234\n", env, "register", "--no-config", "--stdin-registration-token", "--token-ssm-parameter", "/p")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "ssm:PutParameter")
	assert.Contains(t, r.stderr, "register again")
	require.Len(t, e.srv.Runners(), 1)
	assert.NotContains(t, r.stdout+r.stderr, e.srv.Runners()[0].Token)
}
