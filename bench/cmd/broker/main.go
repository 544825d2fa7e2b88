package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		os.Exit(1)
	}
}

func run() error {
	partitions := flag.Int("partitions", 2, "partitions of the benchmark topic")
	store := flag.Bool("store", false, "store produced records (default: acknowledge and discard them)")
	flag.Parse()

	opts := []kfake.Opt{
		kfake.Ports(0),
		kfake.SeedTopics(int32(*partitions), event.Topic),
	}
	if !*store {
		opts = append(opts, kfake.BlackholeProduce())
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("start kfake: %w", err)
	}
	defer cluster.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The runner holds our stdin open; EOF means it is gone.
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()

	fmt.Printf("ADDR %s\n", cluster.ListenAddrs()[0])
	<-ctx.Done()
	return nil
}
