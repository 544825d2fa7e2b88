//go:build ck

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ck:", err)
		os.Exit(1)
	}
}

type result struct {
	N         int   `json:"n"`
	ElapsedNS int64 `json:"elapsed_ns"`
	CPUNS     int64 `json:"cpu_ns"`
	Mallocs   int64 `json:"mallocs"`
}

func run() error {
	brokers := flag.String("brokers", "", "bootstrap servers")
	registry := flag.String("registry", "", "schema registry URL")
	topic := flag.String("topic", event.Topic, "topic")
	subject := flag.String("subject", event.Subject, "registry subject of the event's schema")
	n := flag.Int("n", 100000, "events to send")
	compression := flag.String("compression", "snappy", "snappy or none")
	linger := flag.Duration("linger", 10*time.Millisecond, "linger")
	maxBuffered := flag.Int("max-buffered", 1<<20, "queue.buffering.max.messages")
	flag.Parse()
	if *brokers == "" || *registry == "" {
		return errors.New("-brokers and -registry are required")
	}

	p, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers":            *brokers,
		"compression.type":             *compression,
		"linger.ms":                    int(linger.Milliseconds()),
		"batch.size":                   1_000_000,
		"batch.num.messages":           1_000_000,
		"acks":                         "all",
		"enable.idempotence":           true,
		"queue.buffering.max.messages": min(*maxBuffered, 2147483647),
		"queue.buffering.max.kbytes":   2097151,
		"message.timeout.ms":           60000,
	})
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	defer p.Close()

	client, err := schemaregistry.NewClient(schemaregistry.NewConfig(*registry))
	if err != nil {
		return fmt.Errorf("registry client: %w", err)
	}
	conf := avrov2.NewSerializerConfig()
	conf.AutoRegisterSchemas = false
	conf.UseLatestVersion = true
	ser, err := avrov2.NewSerializer(client, serde.ValueSerde, conf)
	if err != nil {
		return fmt.Errorf("serializer: %w", err)
	}
	ser.SubjectNameStrategy = func(string, serde.Type, schemaregistry.SchemaInfo) (string, error) {
		return *subject, nil
	}

	// Delivery reports arrive on p.Events(); count them.
	var delivered, failed atomic.Int64
	var firstErr atomic.Pointer[error]
	reports := make(chan int64, 1)
	go func() {
		for ev := range p.Events() {
			switch m := ev.(type) {
			case *kafka.Message:
				if err := m.TopicPartition.Error; err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				}
				d := delivered.Add(1)
				select {
				case reports <- d:
				default:
				}
			case kafka.Error:
				if m.IsFatal() {
					err := error(m)
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		}
	}()
	waitFor := func(want int64) error {
		deadline := time.After(2 * time.Minute)
		for delivered.Load() < want {
			select {
			case <-reports:
			case <-deadline:
				return fmt.Errorf("%d of %d delivery reports after 2m", delivered.Load(), want)
			}
		}
		if f := failed.Load(); f > 0 {
			return fmt.Errorf("%d deliveries failed, first: %w", f, *firstErr.Load())
		}
		return nil
	}

	v := event.Sample()
	send := func() error {
		a := event.NewAvro(&v, uuid.New(), event.App, time.Now())
		value, err := ser.Serialize(*topic, &a)
		if err != nil {
			return fmt.Errorf("serialize: %w", err)
		}
		msg := &kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: topic, Partition: kafka.PartitionAny},
			Value:          value,
		}
		for {
			err := p.Produce(msg, nil)
			var kerr kafka.Error
			if errors.As(err, &kerr) && kerr.Code() == kafka.ErrQueueFull {
				time.Sleep(100 * time.Microsecond)
				continue
			}
			return err
		}
	}

	// Warm up: connection, metadata, producer id and the schema lookup.
	if err := send(); err != nil {
		return err
	}
	if err := waitFor(1); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}

	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU()
	t0 := time.Now()
	for range *n {
		if err := send(); err != nil {
			return err
		}
	}
	if err := waitFor(int64(*n) + 1); err != nil {
		return err
	}
	elapsed := time.Since(t0)
	cpu1 := processCPU()
	runtime.ReadMemStats(&ms1)

	out, err := json.Marshal(result{
		N:         int(delivered.Load() - 1),
		ElapsedNS: elapsed.Nanoseconds(),
		CPUNS:     (cpu1 - cpu0).Nanoseconds(),
		Mallocs:   int64(ms1.Mallocs - ms0.Mallocs),
	})
	if err != nil {
		return err
	}
	fmt.Printf("RESULT %s\n", out)
	return nil
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
