package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardauth/ward/server"
)

// cmdServer runs the enrollment server's commands (serve, admin ...), which stop
// gracefully on SIGTERM or Ctrl+C.
func (c *cli) cmdServer(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if code := server.Command(ctx, args, server.IO{Stdin: c.stdin, Stdout: c.stdout, Stderr: c.stderr, Getenv: c.getenv}); code != 0 {
		return exitError{code, errSilent}
	}
	return nil
}
