package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/lsst-sqre/sasquatch-go/internal/envfile"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// secure creates the SCRAM users and the ACLs of the secured listeners (through the plaintext
// listener, whose ANONYMOUS principal is a super user) and waits until both secured listeners
// authenticate and authorize the good principals. Everything comes from stack.env (-env).
// Creating again what exists is harmless, so it runs on every stack start.
func secure(args []string) error {
	fs := flag.NewFlagSet("secure", flag.ContinueOnError)
	envPath := fs.String("env", "", "stack.env (required)")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := readEnv(*envPath)
	if err != nil {
		return fmt.Errorf("secure: %w", err)
	}
	need := func(k string) string {
		if err == nil && env[k] == "" {
			err = fmt.Errorf("secure: %s has no %s", *envPath, k)
		}
		return env[k]
	}
	var (
		plaintext   = need("KAFKA_BOOTSTRAP_SERVERS")
		saslSSL     = need("SASQUATCH_STACK_KAFKA_SASL_SSL_BOOTSTRAP")
		mtls        = need("SASQUATCH_STACK_KAFKA_MTLS_BOOTSTRAP")
		clusterCA   = need("SASQUATCH_STACK_KAFKA_CLUSTER_CA")
		clientCert  = need("SASQUATCH_STACK_KAFKA_CLIENT_CERT")
		clientKey   = need("SASQUATCH_STACK_KAFKA_CLIENT_KEY")
		mtlsUser    = need("SASQUATCH_STACK_KAFKA_MTLS_PRINCIPAL")
		user        = need("SASQUATCH_STACK_KAFKA_SCRAM_USER")
		password    = need("SASQUATCH_STACK_KAFKA_SCRAM_PASSWORD")
		noACLUser   = need("SASQUATCH_STACK_KAFKA_NOACL_USER")
		noACLPass   = need("SASQUATCH_STACK_KAFKA_NOACL_PASSWORD")
		topicPrefix = need("SASQUATCH_STACK_KAFKA_ACL_TOPIC_PREFIX")
		groupPrefix = need("SASQUATCH_STACK_KAFKA_ACL_GROUP_PREFIX")
		topics      = splitList(need("SASQUATCH_STACK_TOPICS"))
	)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	admin, err := kgo.NewClient(kgo.SeedBrokers(plaintext), kgo.RequestRetries(0))
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer admin.Close()
	adm := kadm.NewClient(admin)
	err = poll(ctx, "SCRAM users", func(ctx context.Context) error {
		res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
			{User: user, Mechanism: kadm.ScramSha512, Iterations: 4096, Password: password},
			{User: noACLUser, Mechanism: kadm.ScramSha512, Iterations: 4096, Password: noACLPass},
		})
		if err != nil {
			return err
		}
		return res.Error()
	})
	if err != nil {
		return err
	}
	principals := []string{"User:" + user, mtlsUser}
	acls := []*kadm.ACLBuilder{
		kadm.NewACLs().Allow(principals...).Topics(topicPrefix).ResourcePatternType(kadm.ACLPatternPrefixed).
			Operations(kadm.OpWrite, kadm.OpDescribe, kadm.OpRead),
		kadm.NewACLs().Allow(principals...).Groups(groupPrefix).ResourcePatternType(kadm.ACLPatternPrefixed).
			Operations(kadm.OpRead, kadm.OpDescribe),
	}
	for _, b := range acls {
		err := poll(ctx, "ACLs", func(ctx context.Context) error {
			res, err := adm.CreateACLs(ctx, b)
			if err != nil {
				return err
			}
			for _, r := range res {
				if r.Err != nil {
					return fmt.Errorf("create ACL %s %s %s: %w", r.Principal, r.Name, r.Operation, r.Err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	// Both secured listeners must now let the good principals describe the stack's topics. This
	// also warms up the broker's TLS code, so that the tests' first handshakes are not slow.
	roots, err := certPool(clusterCA)
	if err != nil {
		return err
	}
	pair, err := tls.LoadX509KeyPair(clientCert, clientKey)
	if err != nil {
		return fmt.Errorf("secure: client certificate: %w", err)
	}
	for _, l := range []struct {
		name string
		opts []kgo.Opt
	}{
		{"SASL_SSL " + saslSSL + " as " + user, []kgo.Opt{
			kgo.SeedBrokers(saslSSL),
			kgo.DialTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}),
			kgo.SASL(scram.Auth{User: user, Pass: password}.AsSha512Mechanism()),
		}},
		{"SSL " + mtls + " as " + mtlsUser, []kgo.Opt{
			kgo.SeedBrokers(mtls),
			kgo.DialTLSConfig(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}),
		}},
	} {
		cl, err := kgo.NewClient(append(l.opts, kgo.RequestRetries(0))...)
		if err != nil {
			return fmt.Errorf("kafka client: %w", err)
		}
		err = poll(ctx, l.name+" authorized", func(ctx context.Context) error {
			details, err := kadm.NewClient(cl).ListTopics(ctx, topics...)
			if err != nil {
				return err
			}
			if err := details.Error(); err != nil {
				return err
			}
			if len(details) != len(topics) {
				return fmt.Errorf("%d of %d topics described", len(details), len(topics))
			}
			return nil
		})
		cl.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func certPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

// readEnv reads the KEY=VALUE lines of a stack.env.
func readEnv(path string) (map[string]string, error) {
	if path == "" {
		return nil, errors.New("-env is required")
	}
	return envfile.Read(path)
}
