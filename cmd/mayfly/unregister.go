package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) unregisterCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unregister",
		Short: "Delete this runner on the server (DELETE with its token) and remove the stored token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			token, err := runnerToken(cfg)
			if err != nil {
				return err
			}
			client, err := a.client(cfg, token, a.logger(cfg), false)
			if err != nil {
				return err
			}
			if err := client.Unregister(cmd.Context()); err != nil {
				return err
			}
			if err := cfg.ClearToken(); err != nil {
				return fmt.Errorf("the runner was deleted on the server but its token could not be removed: %w", err)
			}
			fmt.Fprintln(a.stdout, "Runner unregistered.")
			return nil
		},
	}
}
