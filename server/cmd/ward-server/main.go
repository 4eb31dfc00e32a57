// Command ward-server is Ward's enrollment server alone, in pure Go, for hosts
// without display libraries: CGO_ENABLED=0 go build ./server/cmd/ward-server.
// It takes the same commands as `ward serve` and `ward admin`; with none, it serves.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardauth/ward/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	args := os.Args[1:]
	if len(args) == 0 || args[0] != "serve" && args[0] != "admin" {
		args = append([]string{"serve"}, args...)
	}
	os.Exit(server.Command(ctx, args, server.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
