package secrets_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/secrets"
	"github.com/mayfly-dev/mayfly/infra/secrets/secretstest"
)

const token = "runner-token-0123456789"

// awsConfig points the SDK at the stand-in with fake credentials.
func awsConfig(srv *secretstest.Server) func(context.Context) (aws.Config, error) {
	return func(context.Context) (aws.Config, error) {
		return aws.Config{
			Region:       "eu-west-1",
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			BaseEndpoint: aws.String(srv.URL()),
		}, nil
	}
}

func newServer(t *testing.T) *secretstest.Server {
	srv := secretstest.New()
	t.Cleanup(srv.Close)
	return srv
}

func TestSourceValidate(t *testing.T) {
	tests := []struct {
		name string
		src  secrets.Source
		want string
	}{
		{"none", secrets.Source{}, "no runner token"},
		{"token", secrets.Source{Token: "t"}, ""},
		{"ssm", secrets.Source{SSMParameter: "/p"}, ""},
		{"secret", secrets.Source{SecretID: "arn:aws:secretsmanager:eu-west-1:1:secret:x"}, ""},
		{"two", secrets.Source{SSMParameter: "/p", SecretID: "s"}, "more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.src.Validate()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSourceFromEnv(t *testing.T) {
	env := map[string]string{"MAYFLY_TOKEN_SSM_PARAMETER": " /mayfly/token "}
	src := secrets.SourceFromEnv("", func(k string) string { return env[k] })
	assert.Equal(t, secrets.Source{SSMParameter: "/mayfly/token"}, src)
	assert.Equal(t, "SSM parameter /mayfly/token", src.String())
	assert.NotContains(t, secrets.Source{Token: token}.String(), token)
}

func TestReaderSSMReadsOnceWithDecryption(t *testing.T) {
	srv := newServer(t)
	srv.PutParameter("/mayfly/token", token+"\n")
	r, err := secrets.NewReader(secrets.Options{Source: secrets.Source{SSMParameter: "/mayfly/token"}, AWSConfig: awsConfig(srv)})
	require.NoError(t, err)
	for range 3 {
		got, err := r.Token(t.Context())
		require.NoError(t, err)
		assert.Equal(t, token, got)
	}
	calls := srv.Calls()
	require.Len(t, calls, 1, "the token is read once and cached")
	assert.Equal(t, secretstest.Call{Op: "GetParameter", Name: "/mayfly/token", WithDecryption: true}, calls[0])
}

func TestReaderSecretsManager(t *testing.T) {
	srv := newServer(t)
	arn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly-token-AbCdEf"
	srv.PutSecret(arn, token)
	r, err := secrets.NewReader(secrets.Options{Source: secrets.Source{SecretID: arn}, AWSConfig: awsConfig(srv)})
	require.NoError(t, err)
	got, err := r.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, token, got)
}

func TestReaderDirectTokenNeedsNoAWS(t *testing.T) {
	r, err := secrets.NewReader(secrets.Options{Source: secrets.Source{Token: token}})
	require.NoError(t, err)
	got, err := r.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, token, got)
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*secretstest.Server)
		src   secrets.Source
		want  []string
	}{
		{"ssm missing", func(*secretstest.Server) {}, secrets.Source{SSMParameter: "/nope"},
			[]string{"/nope", "ParameterNotFound", "mayfly register --token-ssm-parameter"}},
		{"ssm denied", func(s *secretstest.Server) {
			s.PutParameter("/p", token)
			s.SetFault("GetParameter", secretstest.Fault{Status: 400, Code: "AccessDeniedException"})
		}, secrets.Source{SSMParameter: "/p"}, []string{"access denied", "ssm:GetParameter", "kms:Decrypt"}},
		{"ssm empty", func(s *secretstest.Server) { s.PutParameter("/p", "  \n") }, secrets.Source{SSMParameter: "/p"},
			[]string{"SSM parameter /p is empty"}},
		{"secret missing", func(*secretstest.Server) {}, secrets.Source{SecretID: "missing"},
			[]string{"Secrets Manager secret missing", "does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			tt.setup(srv)
			r, err := secrets.NewReader(secrets.Options{Source: tt.src, AWSConfig: awsConfig(srv)})
			require.NoError(t, err)
			_, err = r.Token(t.Context())
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), token)
		})
	}
}

func TestReaderFailureIsNotCached(t *testing.T) {
	srv := newServer(t)
	srv.PutParameter("/p", token)
	srv.SetFault("GetParameter", secretstest.Fault{Status: 500, Code: "InternalServerError"})
	src := secrets.Source{SSMParameter: "/p"}
	cfg := awsConfig(srv)
	r, err := secrets.NewReader(secrets.Options{Source: src, AWSConfig: func(ctx context.Context) (aws.Config, error) {
		c, err := cfg(ctx)
		c.RetryMaxAttempts = 1
		return c, err
	}})
	require.NoError(t, err)
	_, err = r.Token(t.Context())
	require.Error(t, err)
	srv.SetFault("GetParameter", secretstest.Fault{})
	got, err := r.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, token, got)
}

func TestNewReaderNeedsAWSConfig(t *testing.T) {
	_, err := secrets.NewReader(secrets.Options{Source: secrets.Source{SSMParameter: "/p"}})
	require.Error(t, err)
	_, err = secrets.NewReader(secrets.Options{Source: secrets.Source{}})
	assert.ErrorIs(t, err, secrets.ErrNoSource)
}

func TestSSMWriterOverwritesSecureString(t *testing.T) {
	srv := newServer(t)
	cfg, _ := awsConfig(srv)(t.Context())
	w, err := secrets.NewSSMWriter(secrets.WriterOptions{Parameter: "/mayfly/token", KMSKeyID: "alias/mayfly", Config: cfg})
	require.NoError(t, err)
	require.NoError(t, w.Check(t.Context()))
	require.NoError(t, w.Put(t.Context(), "first"))
	require.NoError(t, w.Put(t.Context(), token))
	p, ok := srv.Parameter("/mayfly/token")
	require.True(t, ok)
	assert.Equal(t, secretstest.Parameter{Value: token, Type: "SecureString", KeyID: "alias/mayfly", Version: 2}, p)

	// What the writer wrote, the reader reads.
	r, err := secrets.NewReader(secrets.Options{Source: secrets.Source{SSMParameter: "/mayfly/token"}, AWSConfig: awsConfig(srv)})
	require.NoError(t, err)
	got, err := r.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, token, got)
}

func TestSSMWriterErrors(t *testing.T) {
	_, err := secrets.NewSSMWriter(secrets.WriterOptions{})
	require.Error(t, err)

	w, err := secrets.NewSSMWriter(secrets.WriterOptions{Parameter: "/p", Config: aws.Config{}})
	require.NoError(t, err)
	err = w.Check(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AWS_REGION")

	srv := newServer(t)
	srv.SetFault("PutParameter", secretstest.Fault{Status: 400, Code: "AccessDeniedException"})
	cfg, _ := awsConfig(srv)(t.Context())
	w, err = secrets.NewSSMWriter(secrets.WriterOptions{Parameter: "/p", Config: cfg})
	require.NoError(t, err)
	err = w.Put(t.Context(), token)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ssm:PutParameter")
	assert.NotContains(t, err.Error(), token)
	assert.Error(t, w.Put(t.Context(), "  "))
}

func TestLazyAWSConfigFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	var l secrets.LazyAWSConfig
	cfg, err := l.Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "eu-central-1", cfg.Region)
	t.Setenv("AWS_REGION", "us-east-1")
	cfg, err = l.Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "eu-central-1", cfg.Region, "loaded once")
}

func TestReaderRefreshAfterRotation(t *testing.T) {
	srv := newServer(t)
	srv.PutParameter("/p", "old-token")
	r, err := secrets.NewReader(secrets.Options{Source: secrets.Source{SSMParameter: "/p"}, AWSConfig: awsConfig(srv)})
	require.NoError(t, err)
	got, err := r.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "old-token", got)

	changed, err := r.Refresh(t.Context())
	require.NoError(t, err)
	assert.False(t, changed)

	srv.PutParameter("/p", "new-token")
	changed, err = r.Refresh(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
	got, _ = r.Token(t.Context())
	assert.Equal(t, "new-token", got)

	srv.SetFault("GetParameter", secretstest.Fault{Status: 400, Code: "AccessDeniedException"})
	_, err = r.Refresh(t.Context())
	require.Error(t, err)
	got, _ = r.Token(t.Context())
	assert.Equal(t, "new-token", got, "a failed refresh keeps the cached token")
}
