package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardauth/ward/server"
)

// cmdServer runs the enrollment server's own command line (serve, admin ...),
// which stops gracefully on SIGTERM or Ctrl+C and prints its own errors.
func (c *cli) cmdServer(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if code := server.Command(ctx, args, server.IO{Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr, Getenv: c.Getenv}); code != 0 {
		return exitError{code, errSilent}
	}
	return nil
}
