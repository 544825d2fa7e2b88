// Package eventmanagertest helps an application's own tests check the events
// it publishes, the way net/http/httptest helps with handlers. Run the manager
// in mock mode (METRICS_ENABLED=false with METRICS_MOCK=true, as in Safir, or
// config.Config{Mock: true}); every
// Publisher then records its payloads instead of sending them, and this
// package reads and asserts them.
//
// The assertions mirror Safir's PublishedList: AssertPublished (the wanted
// events were published consecutively, in order), AssertPublishedAnyOrder
// (each wanted event was published, in any order), AssertPublishedAll (the
// published events are exactly the wanted ones) and AssertPublishedAllAnyOrder.
// AnyValue and NotZero relax the comparison of a field, like Safir's ANY and
// NOT_NONE, for every wanted event, or for one with ForItem; AnyEvent lets a
// wanted event match any published one (Safir's ANY for a whole item).
// Any-order matching is a maximum matching, so it never misses an assignment
// that exists (Safir's greedy matching can).
//
// Every assertion fails the test, fatally, when the publisher's manager is
// not in mock mode: it would record nothing, and an assertion that nothing
// was published would pass whatever the code does. A failure is reported at
// the line of the test that called the assertion (including a field name
// AnyValue or NotZero got wrong), prints events by value (pointers
// dereferenced, nil as nil) and names, for each event that differs, the first
// field that does: "event 2: field Username: got "bob", want "alice"".
// Unexported fields, which are not published, are not compared. The fields
// of an embedded struct are fields of the event, as the payload flattens
// them: AnyValue and NotZero take their promoted names ("Duration" for an
// event embedding httpmetrics.Event) or their paths ("Event.Duration"), and
// a failure names the field, not the embedded struct.
//
// AssertPipeline compares the manager's pipeline as
// [eventmanager.Pipeline.Render] renders it (every piece of Phalanx
// configuration the application needs, each labelled with its file, and the
// Telegraf input Sasquatch's chart renders for it) with a golden file under
// testdata/, and rewrites the file when the test runs with -update (a flag
// the caller's test package declares) or SASQUATCH_UPDATE_GOLDEN=1, so that
// CI sees when an application's events drift from its deployed configuration.
// ComparePipeline is the same comparison returning an error.
package eventmanagertest
