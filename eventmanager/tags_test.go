package eventmanager_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

type regionTagged struct {
	Region string `influx:"tag"`
	Count  int
}

type regionPlain struct {
	Region string
	Size   int
}

type regionTaggedToo struct {
	Region *string `influx:"tag"`
	Ok     bool
}

// TestTagConflict: Telegraf's avro_tags is one list per application topic,
// so a field that is a tag in one event and a plain field in another is
// refused at CreatePublisher, in every mode, naming both events; the same
// field tagged in both is fine, and the refused name can be registered
// again once fixed.
func TestTagConflict(t *testing.T) {
	m := startManager(t, mockConfig())
	if _, err := eventmanager.CreatePublisher[regionTagged](t.Context(), m, "a"); err != nil {
		t.Fatal(err)
	}
	_, err := eventmanager.CreatePublisher[regionPlain](t.Context(), m, "b")
	var te *eventmanager.TagConflictError
	if !errors.As(err, &te) || !errors.As(err, new(*eventmanager.TagConflictError)) ||
		te.Field != "region" || te.TagEvent != "a" || te.FieldEvent != "b" || !strings.Contains(err.Error(), `influx:"tag"`) {
		t.Fatalf("CreatePublisher(b) = %v, want a *TagConflictError for region, tag in a, field in b", err)
	}
	if _, err := eventmanager.CreatePublisher[regionTaggedToo](t.Context(), m, "b"); err != nil {
		t.Fatalf("CreatePublisher(b, region tagged too) = %v, want nil", err)
	}

	// The other order: the plain field first, then the tag.
	m2 := startManager(t, mockConfig())
	if _, err := eventmanager.CreatePublisher[regionPlain](t.Context(), m2, "b"); err != nil {
		t.Fatal(err)
	}
	_, err = eventmanager.CreatePublisher[regionTagged](t.Context(), m2, "a")
	if !errors.As(err, &te) || te.TagEvent != "a" || te.FieldEvent != "b" {
		t.Fatalf("CreatePublisher(a) = %v, want a *TagConflictError, tag in a, field in b", err)
	}
}
