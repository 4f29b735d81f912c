package hclcheck

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// acceptsWebhookSecret evaluates every validation condition of the module's
// webhook_secret variable for value, as Terraform would (can and regex are
// Terraform's own implementations, from hcl/ext/tryfunc and cty's stdlib).
func acceptsWebhookSecret(t *testing.T, m *module, value string) bool {
	t.Helper()
	v, ok := m.variables["webhook_secret"]
	if !ok {
		t.Fatalf("%s: no variable webhook_secret", m.dir)
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{
			"webhook_secret":     cty.StringVal(value),
			"webhook_secret_ref": cty.NullVal(cty.DynamicPseudoType),
		})},
		Functions: map[string]function.Function{"can": tryfunc.CanFunc, "regex": stdlib.RegexFunc},
	}
	validations := children(v, "validation")
	if len(validations) == 0 {
		t.Fatalf("%s: webhook_secret has no validation", m.dir)
	}
	for _, val := range validations {
		got, diags := attr(t, val, "condition").Value(ctx)
		if diags.HasErrors() {
			t.Fatalf("%s: evaluate %s: %s", m.dir, attr(t, val, "condition").Range(), diags.Error())
		}
		if got.Type() != cty.Bool || got.IsNull() {
			t.Fatalf("%s: condition is %s, not a bool", m.dir, got.GoString())
		}
		if got.False() {
			return false
		}
	}
	return true
}

// Both modules accept the same webhook secrets: 32 to 128 characters that
// are safe in a URL path segment without escaping ([A-Za-z0-9_-]), which
// includes what `openssl rand -hex 32` and `mayfly setup` generate (64 hex
// digits). The AWS rule is also planned by tests/validation.tftest.hcl; the
// GCP one can only be checked here (no google provider offline).
func TestWebhookSecretValidation(t *testing.T) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	generated := hex.EncodeToString(b)
	modules := []*module{loadModule(t, awsModule), loadModule(t, gcpModule)}
	for _, c := range []struct {
		value string
		ok    bool
	}{
		{generated, true},
		{strings.Repeat("a", 32), true},
		{strings.Repeat("Z9_-", 32), true}, // 128
		{strings.Repeat("a", 31), false},
		{strings.Repeat("a", 129), false},
		{"", false},
		{generated[:31], false},
		{generated[:40] + "/x", false},
		{generated[:40] + "?x=1", false},
		{generated[:40] + "%2F", false},
		{generated[:40] + " x", false},
		{generated[:40] + "#x", false},
		{generated[:40] + "é", false},
		{generated[:40] + "\n", false},
	} {
		for _, m := range modules {
			if got := acceptsWebhookSecret(t, m, c.value); got != c.ok {
				t.Errorf("%s: webhook_secret %q accepted=%v, want %v", m.dir, c.value, got, c.ok)
			}
		}
	}
}

// The webhook secret is sensitive in both modules, so that plans and
// outputs do not print it (it is still in the state, as the READMEs say).
func TestWebhookSecretIsSensitive(t *testing.T) {
	for _, dir := range []string{awsModule, gcpModule} {
		m := loadModule(t, dir)
		v := m.variables["webhook_secret"]
		if v == nil {
			t.Fatalf("%s: no variable webhook_secret", dir)
		}
		if s, ok := v.Body.Attributes["sensitive"]; !ok || !literal(t, s.Expr).RawEquals(cty.True) {
			t.Errorf("%s: variable webhook_secret must be sensitive = true", dir)
		}
		if o := m.outputs["webhook_url"]; o != nil {
			if s, ok := o.Body.Attributes["sensitive"]; !ok || !literal(t, s.Expr).RawEquals(cty.True) {
				t.Errorf("%s: output webhook_url contains the secret and must be sensitive = true", dir)
			}
		}
	}
}
