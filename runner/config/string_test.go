package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStringMasksSecrets(t *testing.T) {
	const (
		token     = "RunnerTok3nValue+/="
		regToken  = "smrs_Registration9Value"
		hookSec   = "w3bh00kS3cretValue42xyz"
		fileSec   = "fromFileSecret"
		envSecret = "AKIAENVVALUE"
		urlPass   = "hunter2pass"
	)
	c, err := Load("", map[string]string{
		"SEMAPHORE_WEB_ROOT":                  "https://admin:" + urlPass + "@semaphore.example.com/base",
		"SEMAPHORE_RUNNER_TOKEN":              token,
		"SEMAPHORE_RUNNER_REGISTRATION_TOKEN": regToken,
		"SEMAPHORE_RUNNER_WEBHOOK":            "https://hooks.example.com/mayfly/" + hookSec + "?secret=" + hookSec + "&other=" + envSecret,
		"MAYFLY_WEBHOOK_SECRET":               hookSec,
		"SEMAPHORE_ENV_VARS":                  `{"AWS_ACCESS_KEY_ID": "` + envSecret + `"}`,
		"SEMAPHORE_RUNNER_NAME":               "visible-name",
	})
	require.NoError(t, err)
	s := c.String()
	for _, secret := range []string{token, regToken, hookSec, envSecret, urlPass, "admin"} {
		assert.NotContains(t, s, secret)
	}
	assert.Contains(t, s, "visible-name")
	assert.Contains(t, s, `"https://****@semaphore.example.com/base"`)
	assert.Contains(t, s, `"https://hooks.example.com/mayfly/****?other=****&secret=****"`)
	assert.Regexp(t, `runner\.token +\*\*\*\*\n`, s)
	assert.Regexp(t, `runner\.registration_token +\*\*\*\*\n`, s)
	assert.Regexp(t, `mayfly\.webhook_secret +\*\*\*\*\n`, s)
	assert.Contains(t, s, `{"AWS_ACCESS_KEY_ID"=(set)}`)

	t.Run("secret from file in webhook path", func(t *testing.T) {
		c := &Config{
			Runner: Runner{Webhook: "https://hooks.example.com/h/" + fileSec},
			Mayfly: Mayfly{WebhookSecretFile: writeFile(t, "s", fileSec+"\n")},
		}
		assert.NotContains(t, c.String(), fileSec)
	})
	t.Run("unset secrets", func(t *testing.T) {
		s := Default().String()
		assert.Regexp(t, `runner\.token +\(not set\)\n`, s)
		assert.Contains(t, s, "(none: environment only)")
	})
}

func TestMaskURL(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                "",
		"https://s.example.com/semaphore": "https://s.example.com/semaphore",
		"https://u:p@s.example.com":       "https://****@s.example.com",
		"https://tokenonly@s.example.com": "https://****@s.example.com",
		"https://h.example.com/hook?k=v":  "https://h.example.com/hook?k=****",
		"https://h.example.com/webhooks/Ab3dEf6hIj9kLm2nOp5q": "https://h.example.com/webhooks/****",
		"https://h.example.com/semaphore-runner-webhook":      "https://h.example.com/semaphore-runner-webhook",
		"https://u:p@bad host/%zz":                            "https://****@bad host/%zz",
	} {
		assert.Equal(t, want, maskURL(raw, nil), raw)
	}
	assert.Equal(t, "https://h.example.com/x/****/y", maskURL("https://h.example.com/x/short/y", []string{"short"}))
}
