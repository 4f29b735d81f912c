package secrets

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// LazyAWSConfig loads the default AWS configuration (environment, shared
// files, the Lambda role's credentials) on first use and keeps it. A failed
// load is not kept. The zero value is ready to use.
type LazyAWSConfig struct {
	mu     sync.Mutex
	cfg    aws.Config
	loaded bool
}

// Get returns the configuration, loading it the first time.
func (l *LazyAWSConfig) Get(ctx context.Context) (aws.Config, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded {
		return l.cfg, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("secrets: load AWS configuration: %w", err)
	}
	l.cfg, l.loaded = cfg, true
	return cfg, nil
}
