package job

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// TaskDetails is semaphore_vars.task_details as the 2026 runner builds it.
func (j *Job) TaskDetails(rt Runtime) map[string]any {
	d := map[string]any{
		"id":              j.Task.ID,
		"username":        j.Username,
		"url":             j.taskURL(rt.WebHost),
		"commit_hash":     j.Task.CommitHash,
		"commit_message":  j.Task.CommitMessage,
		"inventory_name":  j.Inventory.Name,
		"inventory_id":    j.Inventory.ID,
		"repository_name": j.Repository.Name,
		"repository_id":   j.Repository.ID,
	}
	if c := rt.Commit; c != nil {
		hash := c.Hash
		d["commit_hash"], d["commit_message"] = &hash, c.Message
	}
	if j.Task.Message != "" {
		d["message"] = j.Task.Message
	}
	if typ := j.Template.Type; typ != "" {
		d["type"] = typ
		if j.IncomingVersion != nil {
			d["incoming_version"] = j.IncomingVersion
		}
		if typ == "build" {
			d["target_version"] = j.Task.Version
		}
	}
	return d
}

// taskURL is the task's page on the server, nil without a web host.
func (j *Job) taskURL(webHost string) *string {
	if webHost == "" {
		return nil
	}
	u := fmt.Sprintf("%s/project/%d/history?t=%d", strings.TrimRight(webHost, "/"), j.Task.ProjectID, j.Task.ID)
	return &u
}

// taskDetailsEnv renders the scalar task details as
// SEMAPHORE_TASK_DETAILS_<KEY>=<shell-quoted value>, sorted (shell apps).
func (j *Job) taskDetailsEnv(rt Runtime) []string {
	details := j.TaskDetails(rt)
	var out []string
	for _, k := range sortedKeys(details) {
		var s string
		switch v := details[k].(type) {
		case string:
			s = v
		case *string:
			if v != nil {
				s = *v
			}
		case int:
			s = strconv.Itoa(v)
		}
		if s != "" {
			out = append(out, "SEMAPHORE_TASK_DETAILS_"+strings.ToUpper(k)+"="+shellQuote(stripUnsafe(s)))
		}
	}
	return out
}

// vars are the job's variables: the environment's extra vars (survey answers
// merged in by the server) with the survey secrets laid over them.
type vars struct {
	extra   map[string]any  // without the survey variables whose target is env
	secret  map[string]bool // keys that came from the survey secrets
	env     []string        // NAME=value of survey variables with target env
	secrets []string        // NAME=value of var-type environment secrets
}

// vars parses environment.json and task.secret.
func (j *Job) vars() (vars, error) {
	v := vars{extra: map[string]any{}, secret: map[string]bool{}}
	for _, s := range j.Environment.Secrets {
		if s.Type == "var" {
			v.secrets = append(v.secrets, s.Name+"="+s.Secret)
		}
	}
	if raw := j.Environment.JSON; raw != "" {
		if err := json.Unmarshal([]byte(raw), &v.extra); err != nil {
			return v, fmt.Errorf("environment extra vars: %w", err)
		}
	}
	if raw := j.Task.Secret; raw != "" {
		survey := map[string]any{}
		if err := json.Unmarshal([]byte(raw), &survey); err != nil {
			return v, fmt.Errorf("survey secrets: %w", err)
		}
		maps.Copy(v.extra, survey)
		for k := range survey {
			v.secret[k] = true
		}
	}
	for _, sv := range j.Template.SurveyVars {
		if val, ok := v.extra[sv.Name]; ok && sv.Target == "env" {
			v.env = append(v.env, sv.Name+"="+formatValue(val))
			delete(v.extra, sv.Name)
		}
	}
	return v, nil
}

// keyValues renders extra vars as sorted key=value arguments, without
// semaphore_vars and without the keys in skip.
func keyValues(extra map[string]any, skip map[string]bool) []string {
	var out []string
	for _, k := range sortedKeys(extra) {
		if k != "semaphore_vars" && !skip[k] {
			out = append(out, k+"="+formatValue(extra[k]))
		}
	}
	return out
}

// formatValue renders a JSON value for key=value and -var arguments:
// strings as they are, everything else as JSON (the stock runner prints
// Go's %s here: %!s(float64=5), map[...] — bug B5).
func formatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// shellQuote quotes s as one shell word, as Semaphore's util.ShellQuote.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r == '_' || r == '@' || r == '%' || r == '+' || r == '=' || r == ':' || r == ',' ||
			r == '.' || r == '/' || r == '-' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
		}
	}
	return s
}

// stripUnsafe removes non-printable runes.
func stripUnsafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
}
