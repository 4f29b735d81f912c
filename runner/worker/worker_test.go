package worker_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/worker"
)

func TestClearCache(t *testing.T) {
	tmp := t.TempDir()
	for _, d := range []string{"project_1/repository_1_template_1", "project_2/repository_2_template_2"} {
		require.NoError(t, os.MkdirAll(filepath.Join(tmp, d), 0o700))
	}
	one := 1
	require.NoError(t, worker.ClearCache(tmp, &one))
	assert.NoDirExists(t, filepath.Join(tmp, "project_1"))
	assert.DirExists(t, filepath.Join(tmp, "project_2"))

	require.NoError(t, worker.ClearCache(tmp, nil))
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries)
	assert.DirExists(t, tmp, "tmp_path itself stays")

	assert.Error(t, worker.ClearCache("/", nil), "never the root")
	assert.NoError(t, worker.ClearCache(filepath.Join(tmp, "missing"), nil))
}
