package secrets

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// Source is where the runner token is kept. Exactly one field is set.
type Source struct {
	// Token is the token itself (SEMAPHORE_RUNNER_TOKEN or runner.token_file).
	Token string
	// SSMParameter is the name or ARN of an SSM Parameter Store parameter,
	// normally a SecureString (MAYFLY_TOKEN_SSM_PARAMETER).
	SSMParameter string
	// SecretID is the ARN or name of a Secrets Manager secret whose
	// SecretString is the token (MAYFLY_TOKEN_SECRET_ARN).
	SecretID string
}

// SourceFromEnv builds a Source from the variables the Terraform modules set:
// direct is the token already read by runner/config (SEMAPHORE_RUNNER_TOKEN
// or runner.token_file), getenv looks up MAYFLY_TOKEN_SSM_PARAMETER and
// MAYFLY_TOKEN_SECRET_ARN.
func SourceFromEnv(direct string, getenv func(string) string) Source {
	return Source{
		Token:        strings.TrimSpace(direct),
		SSMParameter: strings.TrimSpace(getenv(contract.TokenSSMParameter)),
		SecretID:     strings.TrimSpace(getenv(contract.TokenSecretARN)),
	}
}

// ErrNoSource is returned by Validate when no source is set.
var ErrNoSource = errors.New("secrets: no runner token: set " + contract.TokenSSMParameter + ", " +
	contract.TokenSecretARN + " or " + contract.SemaphoreRunnerToken)

// Validate checks that exactly one place is named.
func (s Source) Validate() error {
	var set []string
	if s.Token != "" {
		set = append(set, contract.SemaphoreRunnerToken+" (or runner.token_file)")
	}
	if s.SSMParameter != "" {
		set = append(set, contract.TokenSSMParameter)
	}
	if s.SecretID != "" {
		set = append(set, contract.TokenSecretARN)
	}
	switch len(set) {
	case 0:
		return ErrNoSource
	case 1:
		return nil
	}
	return fmt.Errorf("secrets: the runner token is configured more than once (%s); set exactly one", strings.Join(set, ", "))
}

// String describes the source without its value, for logs and errors.
func (s Source) String() string {
	switch {
	case s.SSMParameter != "":
		return "SSM parameter " + s.SSMParameter
	case s.SecretID != "":
		return "Secrets Manager secret " + s.SecretID
	case s.Token != "":
		return contract.SemaphoreRunnerToken
	}
	return "no source"
}
