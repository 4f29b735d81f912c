package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mayfly-dev/mayfly/runner/config"
)

// setupFlags make every question of `mayfly setup` answerable up front.
type setupFlags struct {
	registerFlags
	server     string
	tmpPath    string
	tokenFile  string
	stdinToken bool
	insecure   bool
	force      bool
}

func (a *app) setupCommand() *cobra.Command {
	var f setupFlags
	cmd := &cobra.Command{
		Use:   "setup --config FILE",
		Short: "Write a runner config interactively and register the runner",
		Long: "Asks for the server URL and whether you already have a runner token. Without one it takes a\n" +
			"registration token and registers at once. Every question has a flag; secrets are read from\n" +
			"standard input (hidden on a terminal), never from the command line.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.setup(cmd, &f) },
	}
	f.bind(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "Semaphore server URL (web_host)")
	fl.StringVar(&f.tmpPath, "tmp-path", "/tmp/semaphore", "working directory for tasks (tmp_path)")
	fl.StringVar(&f.tokenFile, "token-file", "", "where to store the runner token (default: runner.token beside the config)")
	fl.BoolVar(&f.stdinToken, "stdin-token", false, "read an existing runner token from standard input instead of registering")
	fl.BoolVar(&f.insecure, "allow-insecure-http", false, "allow http:// to a non-loopback server")
	fl.BoolVar(&f.force, "force", false, "overwrite an existing config file")
	return cmd
}

func (a *app) setup(cmd *cobra.Command, f *setupFlags) error {
	if a.configPath == "" {
		return withCode(exitUsage, "setup needs --config FILE: the file to write")
	}
	if _, err := os.Stat(a.configPath); err == nil && !f.force {
		return withCode(exitConfig, "%s already exists: pass --force to overwrite it", a.configPath)
	}
	p := prompter{in: bufio.NewReader(a.stdin), out: a.stdout, file: a.stdin}

	cfg := config.Default()
	cfg.WebHost, cfg.TmpPath, cfg.Path = f.server, f.tmpPath, a.configPath
	var err error
	if cfg.WebHost == "" {
		if cfg.WebHost, err = p.ask("Semaphore server URL (web_host): ", false); err != nil {
			return err
		}
	}
	cfg.Mayfly.AllowInsecureHTTP = f.insecure
	cfg.Runner.TokenFile = f.tokenFile
	if cfg.Runner.TokenFile == "" {
		cfg.Runner.TokenFile = filepath.Join(filepath.Dir(a.configPath), "runner.token")
	}
	f.apply(cmd, &cfg.Runner)

	haveToken := f.stdinToken
	register := !f.stdinToken && (f.registerFlags.stdinToken || f.registerFlags.tokenFile != "")
	if !haveToken && !register {
		answer, err := p.ask("Do you already have a runner token? [y/N]: ", false)
		if err != nil {
			return err
		}
		haveToken = strings.HasPrefix(strings.ToLower(answer), "y")
	}
	var token, regToken string
	switch {
	case haveToken:
		if token, err = p.ask("Runner token: ", true); err != nil {
			return err
		}
	case f.registerFlags.tokenFile != "" || f.registerFlags.stdinToken:
		if regToken, err = f.registrationToken(cfg, p.in); err != nil {
			return err
		}
	default:
		if regToken, err = p.ask("Registration token: ", true); err != nil {
			return err
		}
	}
	if (haveToken && token == "") || (!haveToken && regToken == "") {
		return withCode(exitConfig, "the token is empty")
	}

	if err := cfg.Validate(); err != nil {
		return withCode(exitConfig, "%v", err)
	}
	if err := config.Write(a.configPath, cfg); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Config written to %s (mode 0600).\n", a.configPath)
	if haveToken {
		if err := cfg.SaveToken(token); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Runner token stored in %s (mode 0600).\n", cfg.Runner.TokenFile)
	} else if err := a.register(cmd.Context(), cfg, regToken); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Next: mayfly start --config %s   (polling runner)\n", a.configPath)
	return nil
}

// prompter asks questions on stdout and reads answers line by line; secrets
// are read without echo when stdin is a terminal.
type prompter struct {
	in   *bufio.Reader
	out  io.Writer
	file io.Reader
}

func (p prompter) ask(question string, secret bool) (string, error) {
	fmt.Fprint(p.out, question)
	if f, ok := p.file.(*os.File); ok && secret && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.out)
		return strings.TrimSpace(string(b)), err
	}
	line, err := p.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", withCode(exitUsage, "setup: no answer to %q on standard input", strings.TrimSpace(question))
	}
	return strings.TrimSpace(line), nil
}
