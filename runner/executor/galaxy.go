package executor

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/process"
)

// galaxy installs every galaxy requirements file of the plan whose content
// changed since the last install into this working copy. The hashes are
// kept per file and per type outside the working copy, so the top-level
// requirements.yml is installed both as collections and as roles (the stock
// 2024 runner shared one .md5 file and never installed its roles, bug B6).
func (r *run) galaxy(p *job.AnsiblePlan) error {
	for _, req := range p.Requirements {
		if err := r.stopped("galaxy install"); err != nil {
			return err
		}
		sum, err := fileMD5(req.File)
		if errors.Is(err, os.ErrNotExist) {
			r.t.Logf("No %s file found. Skip galaxy install process.", req.File)
			continue
		}
		if err != nil {
			return err
		}
		hashFile := filepath.Join(r.hashDir, hashName(r.rt.Dir, req))
		if old, err := os.ReadFile(hashFile); err == nil && string(old) == sum {
			r.t.Logf("%s has no changes. Skip galaxy install process.", req.File)
			continue
		}
		err = r.command("ansible-galaxy", process.Cmd{
			Path: "ansible-galaxy",
			Args: []string{req.Type, "install", "-r", req.File, "--force"},
			Dir:  p.Dir,
			Env:  p.GalaxyEnv,
		})
		if err != nil {
			return err
		}
		if err := os.MkdirAll(r.hashDir, 0o700); err != nil {
			return fmt.Errorf("executor: galaxy hash: %w", err)
		}
		if err := os.WriteFile(hashFile, []byte(sum), 0o600); err != nil {
			return fmt.Errorf("executor: galaxy hash: %w", err)
		}
	}
	return nil
}

// hashName names the hash file of a requirements file and type.
func hashName(root string, req job.Requirement) string {
	rel, err := filepath.Rel(root, req.File)
	if err != nil {
		rel = req.File
	}
	return strings.ReplaceAll(filepath.ToSlash(rel), "/", "_") + "_" + req.Type + ".md5"
}

func fileMD5(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
