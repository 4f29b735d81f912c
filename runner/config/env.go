package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// envExtras are variables that feed the config without a field of their own.
type envExtras struct {
	CheckInterval int `env:"SEMAPHORE_RUNNER_CHECK_INTERVAL_SECONDS"`
}

// applyEnv overlays the environment onto c. It returns
// SEMAPHORE_RUNNER_CHECK_INTERVAL_SECONDS and the problems found.
func applyEnv(c *Config, environ map[string]string) (int, []string) {
	if environ == nil {
		environ = env.ToMap(os.Environ())
	}
	vars := make(map[string]string, len(environ))
	for k, v := range environ {
		if k != "" { // a field without an env tag looks up ""
			vars[k] = v
		}
	}
	opts := env.Options{
		Environment: vars,
		FuncMap: map[reflect.Type]env.ParserFunc{
			reflect.TypeFor[[]string]():          parseList,
			reflect.TypeFor[map[string]string](): parseStringMap,
			reflect.TypeFor[map[string]App]():    parseApps,
		},
	}
	var problems []string
	if err := env.ParseWithOptions(c, opts); err != nil {
		problems = append(problems, envProblems(err, reflect.TypeFor[Config](), vars)...)
	}
	var x envExtras
	if err := env.ParseWithOptions(&x, opts); err != nil {
		problems = append(problems, envProblems(err, reflect.TypeFor[envExtras](), vars)...)
	}
	return x.CheckInterval, problems
}

// parseList reads a JSON array of strings or a comma-separated list.
func parseList(s string) (any, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		var out []string
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return nil, errors.New("want a JSON array of strings or a comma-separated list")
		}
		return out, nil
	}
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out, nil
}

// parseStringMap reads a JSON object of strings. Its values may be secrets,
// so errors never quote the input.
func parseStringMap(s string) (any, error) {
	var out map[string]string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, errors.New("want a JSON object of strings")
	}
	return out, nil
}

// parseApps reads SEMAPHORE_APPS with the same rules as the file's "apps".
func parseApps(s string) (any, error) {
	d := &decoder{}
	v, ok := d.parse([]byte(s))
	if !ok {
		return nil, errors.New(strings.Join(d.problems, "; "))
	}
	var out map[string]App
	d.apps("apps", &v, &out)
	if len(d.problems) > 0 {
		return nil, errors.New(strings.Join(d.problems, "; "))
	}
	return out, nil
}

// envProblems turns caarlos0/env errors into problems naming the variable.
func envProblems(err error, t reflect.Type, vars map[string]string) []string {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return []string{err.Error()}
	}
	names := map[string]string{}
	envNames(t, names)
	var out []string
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			out = append(out, e.Error())
			continue
		}
		key := names[pe.Name]
		if key == "" {
			key = pe.Name
		}
		out = append(out, key+": "+envWant(pe, vars[key]))
	}
	return out
}

// envWant says what a variable should hold; it quotes the value only for
// scalar kinds, which never hold secrets.
func envWant(pe env.ParseError, value string) string {
	t := pe.Type
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	got := fmt.Sprintf("%q", truncate(value, 40))
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return `want a duration such as "30s", got ` + got
	case t.Kind() == reflect.Int:
		return "want a whole number, got " + got
	case t.Kind() == reflect.Bool:
		return "want true or false, got " + got
	}
	return pe.Err.Error()
}

// envNames maps struct field names to their env tags, recursively.
func envNames(t reflect.Type, out map[string]string) {
	for f := range t.Fields() {
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]() {
			envNames(f.Type, out)
			continue
		}
		if tag, _, _ := strings.Cut(f.Tag.Get("env"), ","); tag != "" && tag != "-" {
			out[f.Name] = tag
		}
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
