package hclcheck

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// The Lambda environment names equal the contract. Which of them are set in which
// configuration (one token reference, MAYFLY_ALLOW_INSECURE_HTTP on request) is asserted by
// the module's own `terraform test` (tests/function.tftest.hcl).
func TestAWSEnvironmentMatchesContract(t *testing.T) {
	m := loadModule(t, awsModule)
	fn := m.resource(t, "aws_lambda_function.this")
	keys := m.objectKeys(t, attr(t, child(t, fn, "environment"), "variables"))

	all := sorted(mapKeys(keys))
	want := sorted(append(slices.Clone(contract.LambdaEnv), contract.LambdaEnvOptional...))
	if !slices.Equal(all, want) {
		t.Errorf("the Lambda function may get %v, contract lists %v", all, want)
	}
	for _, name := range contract.LambdaEnvOptional {
		if !keys[name] {
			t.Errorf("%s must only be set on request (inside a conditional)", name)
		}
	}
	for _, name := range []string{contract.TokenSSMParameter, contract.TokenSecretARN} {
		if !keys[name] {
			t.Errorf("%s must be one branch of a conditional: exactly one token reference is set", name)
		}
	}
}

func TestAWSAsyncInvocationsNeverRetry(t *testing.T) {
	m := loadModule(t, awsModule)
	cfg := m.resource(t, "aws_lambda_function_event_invoke_config.this")
	if v := literal(t, attr(t, cfg, "maximum_retry_attempts")); !v.Equals(cty.NumberIntVal(0)).True() {
		t.Errorf("maximum_retry_attempts = %s, want 0", v.GoString())
	}
	dest := attr(t, child(t, cfg, "destination_config", "on_failure"), "destination")
	if refs := references(dest); !slices.Equal(refs, []string{"local.function_arn"}) {
		t.Errorf("on_failure destination refers to %v, want the function itself (local.function_arn)", refs)
	}
}

func TestAWSWebhookURLFormat(t *testing.T) {
	m := loadModule(t, awsModule)
	if v := literal(t, attr(t, m.outputs["webhook_url"], "sensitive")); !v.True() {
		t.Error("webhook_url must be sensitive: it contains the secret")
	}
	src := string(outputSource(t, m, "webhook_url"))
	// Function URLs end with "/".
	want := "${aws_lambda_function_url.this.function_url}" + strings.TrimPrefix(contract.WebhookPathPrefix, "/") + "${var.webhook_secret}"
	if !strings.Contains(src, want) {
		t.Errorf("webhook_url must be %s, got %s", want, src)
	}
}

// outputSource returns the source text of an output's value expression.
func outputSource(t *testing.T, m *module, name string) []byte {
	t.Helper()
	e := attr(t, m.outputs[name], "value")
	r := e.Range()
	src, err := os.ReadFile(r.Filename)
	if err != nil {
		t.Fatal(err)
	}
	return src[r.Start.Byte:r.End.Byte]
}
