// Package eventmanagertest helps an application's own tests check the events
// it publishes, the way net/http/httptest helps with handlers. Run the manager
// in mock mode (METRICS_MOCK=true, or config.Config{Mock: true}); every
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
package eventmanagertest
