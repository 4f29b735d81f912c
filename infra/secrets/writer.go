package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// SSMPutter is the part of the SSM client an SSMWriter uses.
type SSMPutter interface {
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

var _ SSMPutter = (*ssm.Client)(nil)

// WriterOptions configure an SSMWriter.
type WriterOptions struct {
	// Parameter is the name (or ARN) of the SecureString to write.
	Parameter string
	// KMSKeyID is a customer-managed KMS key (id, ARN or alias); empty means
	// the account's aws/ssm key.
	KMSKeyID string
	// Config is the AWS configuration; with Client nil, the SSM client is built from it.
	Config aws.Config
	Client SSMPutter
}

// SSMWriter stores the runner token in an SSM SecureString parameter.
type SSMWriter struct {
	o WriterOptions
}

// NewSSMWriter returns a writer; it does no I/O.
func NewSSMWriter(o WriterOptions) (*SSMWriter, error) {
	o.Parameter = strings.TrimSpace(o.Parameter)
	if o.Parameter == "" {
		return nil, errors.New("secrets: no SSM parameter name")
	}
	if o.Client == nil {
		o.Client = ssm.NewFromConfig(o.Config)
	}
	return &SSMWriter{o: o}, nil
}

// Check reports a missing region or missing credentials before anything is
// registered: without them, the new token could not be stored.
func (w *SSMWriter) Check(ctx context.Context) error {
	if _, ok := w.o.Client.(*ssm.Client); !ok {
		return nil // an injected client
	}
	if w.o.Config.Region == "" {
		return errors.New("secrets: no AWS region: set AWS_REGION (or a profile with a region)")
	}
	if w.o.Config.Credentials == nil {
		return errors.New("secrets: no AWS credentials")
	}
	if _, err := w.o.Config.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("secrets: no AWS credentials: %w", err)
	}
	return nil
}

// Put writes token as a SecureString, replacing any previous value.
func (w *SSMWriter) Put(ctx context.Context, token string) error {
	token = strings.TrimSpace(token)
	if token == "" {
		return errors.New("secrets: refusing to store an empty runner token")
	}
	in := &ssm.PutParameterInput{
		Name:        aws.String(w.o.Parameter),
		Value:       aws.String(token),
		Type:        ssmtypes.ParameterTypeSecureString,
		Overwrite:   aws.Bool(true),
		Description: aws.String("Semaphore runner token (written by mayfly register)"),
	}
	if w.o.KMSKeyID != "" {
		in.KeyId = aws.String(w.o.KMSKeyID)
	}
	if _, err := w.o.Client.PutParameter(ctx, in); err != nil {
		return fmt.Errorf("secrets: write SSM parameter %s: %w%s", w.o.Parameter, err,
			hint(err, "ssm:PutParameter", "check the name and region"))
	}
	return nil
}

// Parameter is the name the writer writes to.
func (w *SSMWriter) Parameter() string { return w.o.Parameter }
