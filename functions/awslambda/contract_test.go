package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/webhook"
	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// moduleValue is what the aws-lambda-runner module sets each variable to.
func moduleValue(t *testing.T, name string) string {
	switch name {
	case contract.SemaphoreWebRoot:
		return "http://semaphore.internal:3000" // with allow_insecure_http
	case contract.TokenSSMParameter:
		return "/mayfly/runner-token"
	case contract.TokenSecretARN:
		return "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly-AbCdEf"
	case contract.WebhookSecret:
		return testSecret
	case contract.DeadlineMargin:
		return "45s"
	case contract.LogFormat:
		return "json"
	case contract.LogLevel:
		return "warn"
	case contract.SemaphoreTmpPath:
		return t.TempDir()
	case contract.AllowInsecureHTTP:
		return "true"
	}
	t.Fatalf("the contract has a Lambda variable %s that the function does not know: read it in functions/awslambda and add it here", name)
	return ""
}

// The function accepts exactly the environment the Terraform module sets.
func TestModuleEnvironment(t *testing.T) {
	for _, token := range []string{contract.TokenSSMParameter, contract.TokenSecretARN} {
		t.Run(token, func(t *testing.T) {
			env := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "mayfly-runner"}
			for _, name := range append(append([]string{}, contract.LambdaEnv...), contract.LambdaEnvOptional...) {
				env[name] = moduleValue(t, name)
			}
			// Exactly one token reference is present.
			for _, other := range []string{contract.TokenSSMParameter, contract.TokenSecretARN} {
				if other != token {
					delete(env, other)
				}
			}
			f := newFunction(env, discard())
			l := &fakeLauncher{}
			f.newLauncher = func(_ context.Context, name string) (webhook.Launcher, error) {
				assert.Equal(t, "mayfly-runner", name)
				return l, nil
			}
			cfg, err := f.config()
			require.NoError(t, err)
			assert.Equal(t, env[contract.SemaphoreTmpPath], cfg.TmpPath)
			assert.Equal(t, "http://semaphore.internal:3000", cfg.WebHost)
			margin, err := f.deadlineMargin()
			require.NoError(t, err)
			assert.Equal(t, "45s", margin.String())
			r, err := f.tokenReader(cfg)
			require.NoError(t, err)
			assert.NotNil(t, r)

			resp := handleURL(t, f, urlEvent("POST", contract.WebhookPathPrefix+testSecret, "", `{"action":"start","task_id":3}`, false))
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			resp = handleURL(t, f, urlEvent("POST", "/", contract.WebhookSecretQuery+"="+testSecret, `{"action":"start","task_id":4}`, false))
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			assert.Len(t, l.requests(), 2)
		})
	}
}
