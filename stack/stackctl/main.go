// Command stackctl is the small Kafka-aware helper of the local Sasquatch stack scripts
// (stack/up.sh, stack/kafka-restart.sh). It is not part of the SDK.
//
// Usage:
//
//	stackctl ports N
//	    print N distinct free TCP ports on 127.0.0.1, one per line (the OS picks them).
//	stackctl kafka-wait -brokers HOST:PORT[,...] [-count 1] [-each] [-timeout 90s]
//	    wait until the brokers answer a metadata request listing at least count live brokers
//	    and a controller elected; with -each, until every broker named in -brokers does (a
//	    restarted broker answers, not only one that stayed up with a stale view).
//	stackctl topics -brokers HOST:PORT[,...] -topics A,B [-partitions 1] [-replication-factor 1]
//	        [-config k=v,...] [-timeout 60s]
//	    create the topics that do not exist yet (with those topic configs) and wait until every
//	    partition has a leader.
//	stackctl isr-wait -brokers HOST:PORT[,...] -topics A,B [-timeout 90s]
//	    wait until every partition of the topics has a leader and every replica in sync (a
//	    restarted broker has rejoined).
//	stackctl group-members -brokers HOST:PORT -group G
//	    print the member ids of consumer group G, comma-separated (empty when it has none).
//	stackctl group-wait -brokers HOST:PORT -group G -topics A,B [-stale ID,...] [-timeout 90s]
//	    wait until consumer group G is Stable, none of its members is one of the stale ids
//	    (members of a process that was killed linger until their session times out), and every
//	    partition of the topics is assigned to one of its members (Telegraf is consuming).
//	stackctl pki -dir DIR [-client-cn CN] [-validity 720h]
//	    write the PKI of the secured listeners into DIR (nothing when DIR already has it): a
//	    cluster CA and the broker's certificate for 127.0.0.1/localhost, with a PEM keystore
//	    (encrypted key, leaf, cluster CA) for ssl.keystore.type=PEM; a clients CA (the mTLS
//	    listener's truststore) and a client certificate; a foreign CA and a client certificate
//	    it signs (see pki.go for the file names).
//	stackctl secure -env STACK_ENV [-timeout 60s]
//	    create the SCRAM-SHA-512 users and the ACLs named in stack.env through the plaintext
//	    listener, then wait until the SASL_SSL and mTLS listeners let the good principals
//	    describe the stack's topics.
//
// Every wait asks the broker again every 200 ms until the condition holds or the timeout
// expires; stackctl exits 1 with the last reason on failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const pollInterval = 200 * time.Millisecond

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "stackctl:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: stackctl ports|kafka-wait|topics|isr-wait|group-members|group-wait|pki|secure [flags]")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "ports":
		return ports(args)
	case "pki":
		return pki(args)
	case "secure":
		return secure(args)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	brokers := fs.String("brokers", "", "bootstrap broker HOST:PORT (required)")
	timeout := fs.Duration("timeout", 90*time.Second, "how long to wait")
	topicList := fs.String("topics", "", "comma-separated topics")
	partitions := fs.Int("partitions", 1, "partitions of each created topic")
	replication := fs.Int("replication-factor", 1, "replication factor of each created topic")
	configList := fs.String("config", "", "comma-separated k=v configs of each created topic")
	count := fs.Int("count", 1, "kafka-wait: how many live brokers the metadata must list")
	each := fs.Bool("each", false, "kafka-wait: ask every broker of -brokers, not any one")
	group := fs.String("group", "", "consumer group")
	stale := fs.String("stale", "", "comma-separated member ids that must have left the group")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *brokers == "" {
		return fmt.Errorf("%s: -brokers is required", cmd)
	}
	topics := splitList(*topicList)

	configs, err := parseConfigs(*configList)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}

	// Every poll must see the brokers' current answer: kadm answers topic metadata from the
	// client's cache while it is younger than MetadataMinAge (5 s by default).
	cl, err := kgo.NewClient(kgo.SeedBrokers(splitList(*brokers)...), kgo.RequestRetries(0),
		kgo.MetadataMinAge(pollInterval/2))
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	switch cmd {
	case "kafka-wait":
		if !*each {
			return poll(ctx, "broker "+*brokers+" ready", func(ctx context.Context) error {
				return brokerReady(ctx, cl, *count)
			})
		}
		for _, b := range splitList(*brokers) {
			err := poll(ctx, "broker "+b+" ready", func(ctx context.Context) error {
				// A client of its own, knowing only b: its first request goes to b.
				one, err := kgo.NewClient(kgo.SeedBrokers(b), kgo.RequestRetries(0))
				if err != nil {
					return err
				}
				defer one.Close()
				return brokerReady(ctx, one, *count)
			})
			if err != nil {
				return err
			}
		}
		return nil
	case "topics":
		if len(topics) == 0 {
			return errors.New("topics: -topics is required")
		}
		return poll(ctx, "topics "+*topicList+" ready", func(ctx context.Context) error {
			return topicsReady(ctx, adm, int32(*partitions), int16(*replication), configs, topics)
		})
	case "isr-wait":
		if len(topics) == 0 {
			return errors.New("isr-wait: -topics is required")
		}
		return poll(ctx, "every replica of "+*topicList+" in sync", func(ctx context.Context) error {
			return topicsLed(ctx, adm, topics, true)
		})
	case "group-members":
		if *group == "" {
			return errors.New("group-members: -group is required")
		}
		// On a new broker the group coordinator is not available until __consumer_offsets
		// exists (asking for the coordinator creates it): ask until it answers.
		var ids []string
		err := poll(ctx, "group "+*group+" described", func(ctx context.Context) error {
			gs, err := adm.DescribeGroups(ctx, *group)
			if err != nil {
				return err
			}
			g := gs[*group]
			if g.Err != nil {
				return g.Err
			}
			ids = ids[:0]
			for _, m := range g.Members {
				ids = append(ids, m.MemberID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Println(strings.Join(ids, ","))
		return nil
	case "group-wait":
		if *group == "" || len(topics) == 0 {
			return errors.New("group-wait: -group and -topics are required")
		}
		staleIDs := splitList(*stale)
		return poll(ctx, "group "+*group+" consuming "+*topicList, func(ctx context.Context) error {
			return groupReady(ctx, adm, *group, topics, staleIDs)
		})
	default:
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// ports prints N free loopback ports. All listeners stay open until every port is chosen, so the
// N ports are distinct.
func ports(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: stackctl ports N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("ports: %q is not a positive count", args[0])
	}
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("ports: %w", err)
		}
		defer ln.Close()
		out = append(out, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	fmt.Println(strings.Join(out, "\n"))
	return nil
}

// poll calls check every pollInterval until it succeeds or ctx ends.
func poll(ctx context.Context, what string, check func(context.Context) error) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := check(attempt)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s: %w", what, err)
		case <-t.C:
		}
	}
}

// brokerReady asks a broker for metadata directly: kadm's BrokerMetadata answers with the
// brokers the client learnt at its last metadata refresh (every 5 min by default in franz-go
// 1.22), so it would never see a broker that joined after the first poll.
func brokerReady(ctx context.Context, cl *kgo.Client, count int) error {
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	md, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if len(md.Brokers) < max(count, 1) {
		return fmt.Errorf("metadata lists %d live broker(s), want %d", len(md.Brokers), max(count, 1))
	}
	if md.ControllerID < 0 {
		return errors.New("no active controller yet")
	}
	return nil
}

func topicsReady(ctx context.Context, adm *kadm.Client, partitions int32, replication int16, configs map[string]*string, topics []string) error {
	resp, err := adm.CreateTopics(ctx, partitions, replication, configs, topics...)
	if err != nil {
		return err
	}
	for _, r := range resp {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", r.Topic, r.Err)
		}
	}
	return topicsLed(ctx, adm, topics, false)
}

// topicsLed succeeds when every partition of topics has a leader and, with inSync, all its
// replicas in its ISR.
func topicsLed(ctx context.Context, adm *kadm.Client, topics []string, inSync bool) error {
	md, err := adm.Metadata(ctx, topics...)
	if err != nil {
		return err
	}
	for _, t := range topics {
		td, ok := md.Topics[t]
		if !ok || td.Err != nil {
			return fmt.Errorf("topic %s not in metadata yet (%v)", t, td.Err)
		}
		for _, p := range td.Partitions.Sorted() {
			if p.Err != nil || p.Leader < 0 {
				return fmt.Errorf("topic %s partition %d has no leader yet (%v)", t, p.Partition, p.Err)
			}
			if inSync && len(p.ISR) < len(p.Replicas) {
				return fmt.Errorf("topic %s partition %d: in-sync replicas %v of %v", t, p.Partition, p.ISR, p.Replicas)
			}
		}
	}
	return nil
}

// parseConfigs parses "k=v,k=v" topic configs (nil for "").
func parseConfigs(s string) (map[string]*string, error) {
	var out map[string]*string
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-config: %q is not key=value", kv)
		}
		if out == nil {
			out = make(map[string]*string)
		}
		out[k] = &v
	}
	return out, nil
}

func groupReady(ctx context.Context, adm *kadm.Client, group string, topics, stale []string) error {
	md, err := adm.Metadata(ctx, topics...)
	if err != nil {
		return err
	}
	gs, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return err
	}
	g, ok := gs[group]
	if !ok || g.Err != nil {
		return fmt.Errorf("group %s not described (%v)", group, g.Err)
	}
	if g.State != "Stable" {
		return fmt.Errorf("group %s is %s", group, g.State)
	}
	for _, m := range g.Members {
		if slices.Contains(stale, m.MemberID) {
			return fmt.Errorf("group %s still has stale member %s", group, m.MemberID)
		}
	}
	assigned := g.AssignedPartitions()
	for _, t := range topics {
		for _, p := range md.Topics[t].Partitions {
			if _, ok := assigned[t][p.Partition]; !ok {
				return fmt.Errorf("group %s: %s/%d not assigned yet", group, t, p.Partition)
			}
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
