package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/worker"
)

func (a *app) startCommand() *cobra.Command {
	var f registerFlags
	var autoRegister bool
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run as a long-lived polling runner (a drop-in for `semaphore runner start`)",
		Long: "Polls the server, runs the tasks it is given and reports them. With runner.one_off it runs\n" +
			"exactly one task, reports its final status and exits (non-zero if the task did not succeed).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if token, _ := cfg.Token(); token == "" && autoRegister {
				f.apply(cmd, &cfg.Runner)
				regToken, err := f.registrationToken(cfg, a.stdin)
				if err != nil {
					return err
				}
				if err := a.register(cmd.Context(), cfg, regToken); err != nil {
					return err
				}
			}
			return a.loop(cmd.Context(), cfg, oneoff.Options{
				OneJob:      cfg.Runner.OneOff,
				MaxParallel: cfg.Runner.MaxParallelTasks,
			}, true)
		},
	}
	cmd.Flags().BoolVar(&autoRegister, "register", false, "register first when there is no runner token")
	f.bind(cmd)
	return cmd
}

// loop runs the runner loop with the config's client and executor. startedAt
// sends X-Runner-Started-At: only for the long-lived runner, never for
// one-off processes that share a token.
func (a *app) loop(ctx context.Context, cfg *config.Config, o oneoff.Options, startedAt bool) error {
	token, err := runnerToken(cfg)
	if err != nil {
		return err
	}
	log := a.logger(cfg)
	client, err := a.client(cfg, token, log, startedAt)
	if err != nil {
		return err
	}
	results, err := worker.Run(ctx, cfg, client, log, o)
	return outcome(ctx, log, o, results, err)
}

// outcome turns the loop's results into the command's error: a one-job run
// (`run`, or `start` with one_off) fails when its task did not succeed; a
// long-lived runner stopped by a signal succeeds whatever its tasks did.
func outcome(ctx context.Context, log *slog.Logger, o oneoff.Options, results []oneoff.Result, err error) error {
	if err != nil && (ctx.Err() == nil || !errors.Is(err, ctx.Err())) {
		if code, msg := classify(err); code == exitFailed && o.TaskID > 0 && !reported(results, o.TaskID) {
			// Exit 1 means "the task's status was reported"; this one was not.
			return withCode(exitUnreported, "task %d was not reported: %s", o.TaskID, msg)
		}
		return err
	}
	if err != nil {
		log.Info("stopped by signal")
	}
	if !o.OneJob && o.TaskID == 0 {
		return nil
	}
	if len(results) == 0 && o.TaskID > 0 {
		// The task is assigned to this runner but nothing was reported:
		// whoever launched us must report it (see infra/launcher/local).
		return withCode(exitInterrupted, "stopped before task %d was taken; nothing was reported for it", o.TaskID)
	}
	for _, r := range results {
		if r.Status != api.StatusSuccess {
			log.Info("task did not succeed", "task", r.TaskID, "status", r.Status)
			return withCode(exitFailed, "task %d ended %s", r.TaskID, r.Status)
		}
	}
	return nil
}

// reported reports whether results hold the final status of task id.
func reported(results []oneoff.Result, id int) bool {
	for _, r := range results {
		if r.TaskID == id {
			return true
		}
	}
	return false
}
