package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// printPipeline returns what -pipeline (asJSON false) or -pipeline-json
// prints for event, of type typ: its pipeline merged with those in the
// files of merges. It runs a manager in mock mode, so it needs the app name
// (and topic prefix) from the environment, and no Kafka or registry.
func printPipeline(ctx context.Context, event string, typ reflect.Type, merges []string, asJSON bool) (string, error) {
	for k, v := range map[string]string{"METRICS_ENABLED": "false", "METRICS_MOCK": "true"} {
		if err := os.Setenv(k, v); err != nil {
			return "", err
		}
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return "", err
	}
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return "", err
	}
	defer m.Close(context.WithoutCancel(ctx))
	if err := m.Initialize(ctx); err != nil {
		return "", err
	}
	if _, err := eventmanager.CreateRecordPublisher(ctx, m, event, typ); err != nil {
		return "", err
	}
	ps := []eventmanager.Pipeline{m.Pipeline()}
	for _, file := range merges {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("-merge: %w", err)
		}
		var p eventmanager.Pipeline
		if err := json.Unmarshal(data, &p); err != nil {
			return "", fmt.Errorf("-merge %s: not a pipeline (the JSON of -pipeline-json): %w", file, err)
		}
		ps = append(ps, p)
	}
	p, err := eventmanager.MergePipelines(ps...)
	if err != nil {
		return "", err
	}
	if asJSON {
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return "", err
		}
		return string(b) + "\n", nil
	}
	return p.Render(eventmanager.RenderConfig{})
}

// changeHints is what follows the guard's error for fields whose type was
// inferred: for each, the type it was inferred as and how to send the
// registered one (a line per field).
func changeHints(specs []fieldSpec, changed *eventmanager.FieldTypeChangedError) string {
	var b strings.Builder
	for _, c := range changed.Fields {
		for _, s := range specs {
			if s.name == c.Field && s.inferred {
				b.WriteString("\n  " + typeHint(s, c.Old))
			}
		}
	}
	return b.String()
}
