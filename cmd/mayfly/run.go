package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/mayfly-dev/mayfly/runner/oneoff"
)

func (a *app) runCommand() *cobra.Command {
	var taskID int
	var receivedAt string
	cmd := &cobra.Command{
		Use:   "run --task-id N",
		Short: "Run exactly one task as a one-off runner, then exit",
		Long: "Polls until task N is offered to this runner (bounded by mayfly.task_wait_timeout), runs it,\n" +
			"reports its log and final status, and exits non-zero unless it succeeded. Every other task\n" +
			"the server lists for the shared runner token is left alone.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if taskID <= 0 {
				return withCode(exitUsage, "--task-id must be a positive task id")
			}
			o := oneoff.Options{TaskID: taskID}
			if receivedAt != "" {
				t, err := time.Parse(time.RFC3339Nano, receivedAt)
				if err != nil {
					return withCode(exitUsage, "--received-at: want an RFC 3339 time: %v", err)
				}
				o.ReceivedAt = t
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.loop(cmd.Context(), cfg, o, false)
		},
	}
	cmd.Flags().IntVar(&taskID, "task-id", 0, "the task this process is bound to")
	cmd.Flags().StringVar(&receivedAt, "received-at", "", "when the webhook that launched this runner arrived (RFC 3339), for the timing line")
	return cmd
}
