//go:build cluster

package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The scenarios' phases.
const (
	warmup       = 2000             // events delivered before the fault
	leaderDown   = 15 * time.Second // scenario 1: how long the killed leader stays down
	belowISR     = 20 * time.Second // scenario 3: how long two nodes stay down
	registryDown = 10 * time.Second // scenarios 4 and 5: how long the registry stays down
	after        = 3 * time.Second  // publishing after the fault ended and was caught up
	smallBuffer  = 5000             // scenario 3b: METRICS_MAX_BUFFERED_EVENTS, below the outage's 20 000 events
)

// TestCluster runs the delivery scenarios of issue 16 against a three-node Kafka cluster
// (RF=3, min.insync.replicas=2) and the real registry, each at a steady 1000 events/s, and
// prints a table of what happened. Each scenario fails on a duplicate, a loss of an accepted
// event, or Stats disagreeing with the topic (load.Verify).
func TestCluster(t *testing.T) {
	c, up := startCluster(t)
	t.Logf("cluster of 3 nodes up in %v; JVM RSS %v MiB", up.Round(time.Millisecond), c.RSS())
	r := startRegistry(t)
	var rows []row
	run := func(name string, f func(t *testing.T) []row) {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			got := f(t)
			rows = append(rows, got...)
			t.Logf("%s took %v", name, time.Since(start).Round(time.Millisecond))
		})
	}

	// 1. kill -9 the partition's leader; restart it later.
	run("LeaderKill", func(t *testing.T) []row {
		m := newManager(t, c, r, "cluster_leader_kill", nil)
		topic := m.Topic()
		l := startLoad(t, m, "leader_kill")
		l.WaitDelivered(t, warmup)
		leader := c.Leader(t, topic)
		c.Kill(t, leader)
		time.Sleep(leaderDown) // the fault's length, not a wait for a condition
		c.Start(t, leader)
		endFault(t, l)
		closeManager(t, m)
		return []row{l.Verify(t, r, readAll(t, c, topic), false)}
	})

	// 2. Rolling restart: each node in turn gets SIGTERM, is started again and rejoins.
	run("RollingRestart", func(t *testing.T) []row {
		m := newManager(t, c, r, "cluster_rolling", nil)
		topic := m.Topic()
		l := startLoad(t, m, "rolling_restart")
		l.WaitDelivered(t, warmup)
		for _, n := range c.nodes {
			c.Stop(t, n)
			c.Start(t, n)
		}
		endFault(t, l)
		closeManager(t, m)
		return []row{l.Verify(t, r, readAll(t, c, topic), false)}
	})

	// 3. Two nodes killed at once (below min.insync.replicas, and the controller quorum lost)
	// for a while, then started again: with the default buffer every event waits and arrives
	// (3a); with a buffer smaller than the outage's events the drops are counted exactly (3b).
	run("BelowMinISR", func(t *testing.T) []row {
		ma := newManager(t, c, r, "cluster_below_isr", nil)
		mb := newManager(t, c, r, "cluster_below_isr_small", map[string]string{"METRICS_MAX_BUFFERED_EVENTS": fmt.Sprint(smallBuffer)})
		la := startLoad(t, ma, "below_min_isr")
		lb := startLoad(t, mb, "below_min_isr_small_buffer")
		la.WaitDelivered(t, warmup)
		lb.WaitDelivered(t, warmup)
		leader := c.Leader(t, ma.Topic())
		down := []*node{leader, c.Others(leader)[0]}
		for _, n := range down {
			c.Kill(t, n)
		}
		time.Sleep(belowISR) // the outage's length
		t0 := time.Now()
		for _, n := range down {
			c.start(n)
		}
		c.WaitReady(t)
		t.Logf("nodes %d and %d restarted and in sync in %v", down[0].id, down[1].id, time.Since(t0).Round(time.Millisecond))
		endFault(t, la, lb)
		closeManager(t, ma)
		closeManager(t, mb)
		return []row{
			la.Verify(t, r, readAll(t, c, ma.Topic()), false),
			lb.Verify(t, r, readAll(t, c, mb.Topic()), true),
		}
	})

	// 4 and 5. The registry stopped mid-run and started again: the running publisher needs no
	// registry call (4); a publisher created while it is down buffers its events and sends
	// them once its schema is registered (5).
	run("RegistryDown", func(t *testing.T) []row {
		m := newManager(t, c, r, "cluster_registry", nil)
		topic := m.Topic()
		l4 := startLoad(t, m, "registry_down_running")
		l4.WaitDelivered(t, warmup)
		r.Stop(t)
		l5 := startLoad(t, m, "registry_down_new_publisher")
		time.Sleep(registryDown) // the outage's length
		r.Start(t)
		endFault(t, l4, l5)
		closeManager(t, m)
		recs := readAll(t, c, topic)
		return []row{l4.Verify(t, r, recs, false), l5.Verify(t, r, recs, false)}
	})

	t.Logf("JVM RSS at the end: %v MiB", c.RSS())
	var b strings.Builder
	b.WriteString("\n| scenario | published | accepted | delivered | dropped | duplicates | loss | longest delivery stall | catch-up after the fault | max Publish |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %v | %v | %v |\n", r.Scenario, r.Attempted, r.Accepted, r.Delivered,
			r.Dropped, r.Duplicates, r.Loss, r.Stall.Round(time.Millisecond), r.CatchUp.Round(time.Millisecond), r.MaxPublish.Round(time.Microsecond))
	}
	for _, r := range rows {
		if r.Reordered > 0 {
			fmt.Fprintf(&b, "%s: %d event(s) out of sequence order in the partition\n", r.Scenario, r.Reordered)
		}
	}
	t.Log(b.String())
}

// endFault ends a scenario's loads once its fault is over: it marks the
// fault's end, waits for each load to catch up, lets them publish for after
// more, and stops them.
func endFault(t *testing.T, loads ...*load) {
	t.Helper()
	for _, l := range loads {
		l.FaultEnded()
	}
	for _, l := range loads {
		l.WaitCaughtUp(t)
	}
	time.Sleep(after)
	for _, l := range loads {
		l.Stop()
	}
}
