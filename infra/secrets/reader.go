package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// SSMGetter is the part of the SSM client a Reader uses.
type SSMGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SecretGetter is the part of the Secrets Manager client a Reader uses.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var (
	_ SSMGetter    = (*ssm.Client)(nil)
	_ SecretGetter = (*secretsmanager.Client)(nil)
)

// maxTokenBytes bounds a token read from a parameter or secret.
const maxTokenBytes = 64 << 10

// Options configure a Reader.
type Options struct {
	Source Source
	// AWSConfig returns the AWS configuration; it is called at most until it
	// succeeds, and only for an SSM or Secrets Manager source without a client.
	AWSConfig func(ctx context.Context) (aws.Config, error)
	// SSM and SecretsManager replace the clients built from AWSConfig.
	SSM            SSMGetter
	SecretsManager SecretGetter
	Logger         *slog.Logger
}

// Reader returns the runner token, reading it once.
type Reader struct {
	o     Options
	mu    sync.Mutex
	token string
}

// NewReader checks the source and returns a Reader; it does no I/O.
func NewReader(o Options) (*Reader, error) {
	if err := o.Source.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.AWSConfig == nil && ((o.Source.SSMParameter != "" && o.SSM == nil) || (o.Source.SecretID != "" && o.SecretsManager == nil)) {
		return nil, errors.New("secrets: no AWS configuration to read " + o.Source.String())
	}
	return &Reader{o: o}, nil
}

// Token returns the runner token: from the cache, or read now. Concurrent
// callers wait for one read. A failed read is not cached.
func (r *Reader) Token(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.token != "" {
		return r.token, nil
	}
	return r.read(ctx)
}

// Refresh reads the token again, bypassing the cache, after the server
// rejected the cached one: `mayfly register` may have rotated it while this
// process kept the old one. It reports whether the token changed; on error
// the cached token is kept.
func (r *Reader) Refresh(ctx context.Context) (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.token
	if _, err := r.read(ctx); err != nil {
		r.token = old
		return false, err
	}
	return r.token != old, nil
}

// read fetches the token from its source and caches it; r.mu is held.
func (r *Reader) read(ctx context.Context) (string, error) {
	var (
		token string
		err   error
	)
	s := r.o.Source
	switch {
	case s.Token != "":
		token = s.Token
	case s.SSMParameter != "":
		token, err = r.readSSM(ctx, s.SSMParameter)
	default:
		token, err = r.readSecret(ctx, s.SecretID)
	}
	if err != nil {
		return "", err
	}
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return "", fmt.Errorf("secrets: %s is empty: store the runner token there (mayfly register --token-ssm-parameter NAME)", s)
	case len(token) > maxTokenBytes:
		return "", fmt.Errorf("secrets: %s holds %d bytes, more than a runner token", s, len(token))
	}
	r.token = token
	return token, nil
}

func (r *Reader) readSSM(ctx context.Context, name string) (string, error) {
	client := r.o.SSM
	if client == nil {
		cfg, err := r.o.AWSConfig(ctx)
		if err != nil {
			return "", fmt.Errorf("secrets: read SSM parameter %s: %w", name, err)
		}
		client = ssm.NewFromConfig(cfg)
	}
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("secrets: read SSM parameter %s: %w%s", name, err,
			hint(err, "ssm:GetParameter", "write the token with `mayfly register --token-ssm-parameter NAME`, or check the name and region"))
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("secrets: SSM parameter %s has no value", name)
	}
	if out.Parameter.Type != ssmtypes.ParameterTypeSecureString {
		r.o.Logger.Warn("the runner token parameter is not a SecureString: anyone who can read the parameter can read the token",
			"parameter", name, "type", string(out.Parameter.Type))
	}
	return *out.Parameter.Value, nil
}

func (r *Reader) readSecret(ctx context.Context, id string) (string, error) {
	client := r.o.SecretsManager
	if client == nil {
		cfg, err := r.o.AWSConfig(ctx)
		if err != nil {
			return "", fmt.Errorf("secrets: read Secrets Manager secret %s: %w", id, err)
		}
		client = secretsmanager.NewFromConfig(cfg)
	}
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("secrets: read Secrets Manager secret %s: %w%s", id, err,
			hint(err, "secretsmanager:GetSecretValue", "create it with the runner token as its secret string, or check the ARN"))
	}
	switch {
	case out.SecretString != nil:
		return *out.SecretString, nil
	case len(out.SecretBinary) > 0:
		return string(out.SecretBinary), nil
	}
	return "", fmt.Errorf("secrets: Secrets Manager secret %s has no value", id)
}

// hint adds the usual fix for an AWS error code.
func hint(err error, action, notFound string) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.ErrorCode() {
	case "ParameterNotFound", "ResourceNotFoundException":
		return " (it does not exist: " + notFound + ")"
	case "AccessDeniedException", "AccessDenied", "KMS.AccessDeniedException":
		return " (access denied: the role needs " + action + " on it, and kms:Decrypt on its key when that is customer-managed)"
	}
	return ""
}
