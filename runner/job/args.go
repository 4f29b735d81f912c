package job

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// cliArgs parses the template's arguments and, when the template allows it,
// the task's: JSON arrays of strings (nil or "" means none).
func (j *Job) cliArgs() (tpl, task []string, err error) {
	if tpl, err = parseArgs(j.Template.Arguments); err != nil {
		return nil, nil, fmt.Errorf("invalid format of the template extra arguments, must be valid JSON: %w", err)
	}
	if j.Template.AllowOverrideArgsInTask {
		if task, err = parseArgs(j.Task.Arguments); err != nil {
			return nil, nil, fmt.Errorf("invalid format of the task extra arguments, must be valid JSON: %w", err)
		}
	}
	return tpl, task, nil
}

func parseArgs(raw *string) ([]string, error) {
	if raw == nil || *raw == "" {
		return nil, nil
	}
	var args []string
	if err := json.Unmarshal([]byte(*raw), &args); err != nil {
		return nil, err
	}
	return args, nil
}

// stageArgs parses terraform arguments: a JSON array (stage "default") or an
// object {"init":[…],"plan":[…],"apply":[…],"default":[…]}.
func stageArgs(raw *string) (map[string][]string, error) {
	if raw == nil || *raw == "" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(*raw), &list); err == nil {
		return map[string][]string{"default": list}, nil
	}
	var m map[string][]string
	if err := json.Unmarshal([]byte(*raw), &m); err != nil {
		return nil, fmt.Errorf("invalid format of arguments, must be valid JSON array or map: %w", err)
	}
	return m, nil
}

// cliStageArgs merges the template's stage arguments with the task's (when
// allowed): a task's stage arguments follow the template's.
func (j *Job) cliStageArgs() (map[string][]string, error) {
	m, err := stageArgs(j.Template.Arguments)
	if err != nil {
		return nil, fmt.Errorf("template arguments: %w", err)
	}
	if m == nil {
		m = map[string][]string{}
	}
	if j.Template.AllowOverrideArgsInTask {
		task, err := stageArgs(j.Task.Arguments)
		if err != nil {
			return nil, fmt.Errorf("task arguments: %w", err)
		}
		for stage, args := range task {
			m[stage] = append(m[stage], args...)
		}
	}
	return m, nil
}

// within resolves p (relative to base unless absolute) and checks that it
// stays inside root, as the 2026 runner validates playbook paths.
func within(root, base, p string) (string, error) {
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(base, p)
	}
	rel, err := filepath.Rel(root, full)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("path %q is outside the repository", p)
	}
	return full, nil
}
