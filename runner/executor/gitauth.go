package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// askpass answers git's credential prompts from its own environment, so
// that an https password is never part of a URL, an argv or a file: git
// runs it with the prompt as $1 ("Username for …" / "Password for …").
// printf is a shell builtin, so the values are not in any argv either.
const askpass = `#!/bin/sh
case "$1" in
[Uu]sername*) printf '%s\n' "$GIT_MAYFLY_USER" ;;
*) printf '%s\n' "$GIT_MAYFLY_PASS" ;;
esac
`

var schemeRE = regexp.MustCompile(`^(\w+)://`)

// isHTTP reports whether a git URL is http(s), the only kind a
// login_password key authenticates (execution.md §1.5).
func isHTTP(gitURL string) bool {
	m := schemeRE.FindStringSubmatch(gitURL)
	return m != nil && (strings.EqualFold(m[1], "http") || strings.EqualFold(m[1], "https"))
}

// gitAuth authenticates git for one repository: the environment and the
// options that go before git's subcommand. Close it when the repository
// work is done.
type gitAuth struct {
	env   []string
	pre   []string
	agent *sshAgent
}

// gitAuth prepares key for gitURL: an ssh key is served by an in-process
// agent (for any URL form, as upstream); a login_password key answers
// https prompts through GIT_ASKPASS, with credential helpers disabled so
// that nothing stores it.
func (r *run) gitAuth(key api.AccessKey, gitURL string) (*gitAuth, error) {
	a := &gitAuth{env: []string{"GIT_TERMINAL_PROMPT=0"}}
	switch key.Type {
	case api.KeySSH:
		ag, err := startAgent(r.priv, key)
		if err != nil {
			return nil, err
		}
		a.agent = ag
		a.env = append(a.env, "SSH_AUTH_SOCK="+ag.Socket, "GIT_SSH_COMMAND="+r.e.sshCommand())
	case api.KeyLoginPassword:
		if !isHTTP(gitURL) {
			break
		}
		script := filepath.Join(r.priv, "git-askpass.sh")
		if err := os.WriteFile(script, []byte(askpass), 0o700); err != nil {
			return nil, fmt.Errorf("executor: git askpass: %w", err)
		}
		// Without a login the stock runner puts the password (a token) in
		// the URL's user part: answer it as the user name.
		user, pass := key.LoginPassword.Login, key.LoginPassword.Password
		if user == "" {
			user, pass = pass, ""
		}
		a.env = append(a.env, "GIT_ASKPASS="+script, "GIT_MAYFLY_USER="+user, "GIT_MAYFLY_PASS="+pass)
		a.pre = []string{"-c", "credential.helper="}
	}
	return a, nil
}

func (a *gitAuth) close() {
	if a != nil && a.agent != nil {
		a.agent.Close()
	}
}

// agentEnv is the git environment for an agent that already runs (the
// inventory key, for terraform module sources).
func (e *Executor) agentEnv(a *sshAgent) []string {
	return []string{"GIT_TERMINAL_PROMPT=0", "SSH_AUTH_SOCK=" + a.Socket, "GIT_SSH_COMMAND=" + e.sshCommand()}
}

// sshCommand is GIT_SSH_COMMAND: the host-key policy and the ssh config.
func (e *Executor) sshCommand() string {
	o := e.opts
	cmd := "ssh"
	switch o.SSHStrictHostKeyChecking {
	case HostKeyNo:
		cmd += " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
	case HostKeyYes:
		cmd += " -o StrictHostKeyChecking=yes -o UserKnownHostsFile=" + shellQuote(o.SSHKnownHostsFile)
	default:
		cmd += " -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=" + shellQuote(o.SSHKnownHostsFile)
	}
	if o.SSHConfigPath != "" {
		cmd += " -F " + shellQuote(o.SSHConfigPath)
	}
	return cmd
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
