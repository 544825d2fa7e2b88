package eventmanager

// EventStats counts what happened to the events of one event type (or, in
// Stats.Total, of all types) since the manager was created.
type EventStats struct {
	// Published is the number of events Publish accepted into the buffer of
	// unsent events (dropped and rejected events are not accepted; in
	// disabled mode nothing is accepted: events are validated and
	// discarded). It never decreases.
	Published uint64
	// Delivered is the number of accepted events the broker acknowledged
	// (in mock mode: recorded; in disabled mode: always 0).
	Delivered uint64
	// Failed is the number of accepted events that certainly were not
	// written: they failed after the Kafka client's retries (bounded by
	// METRICS_DELIVERY_TIMEOUT), their schema was never registered, or the
	// Kafka client's own buffer was full (a client passed by
	// [WithKafkaClient] that other producers share).
	Failed uint64
	// Unknown is the number of accepted events whose outcome is unknown:
	// Close's ctx expired and the Kafka client was closed while a Produce
	// request that may hold them was unanswered, so they may or may not be
	// in the topic. The events the client failed at close that no written
	// request can hold are Failed.
	Unknown uint64
	// Dropped is the number of events Publish did not accept because the
	// buffer of unsent events was full.
	Dropped uint64
	// Rejected is the number of events Publish refused because their value was
	// invalid (for example an enum value outside its symbols).
	Rejected uint64
}

// Pending is the number of accepted events whose fate is not known yet.
func (s EventStats) Pending() uint64 {
	done := s.Delivered + s.Failed + s.Unknown
	if done > s.Published {
		return 0
	}
	return s.Published - done
}

func (s *EventStats) add(o EventStats) {
	s.Published += o.Published
	s.Delivered += o.Delivered
	s.Failed += o.Failed
	s.Unknown += o.Unknown
	s.Dropped += o.Dropped
	s.Rejected += o.Rejected
}

// Stats is a snapshot of the manager's counters.
type Stats struct {
	Total  EventStats            // sum over every event type
	Events map[string]EventStats // by event name
	// Buffered is the occupancy of the buffer of unsent events, whose
	// limits are METRICS_MAX_BUFFERED_EVENTS and METRICS_MAX_BUFFERED_BYTES:
	// when either is reached, Publish drops (or waits, see
	// METRICS_BLOCK_TIMEOUT). Always zero outside Kafka mode.
	Buffered BufferStats
}

// BufferStats is the occupancy of the buffer of unsent events: the events
// accepted and not yet delivered or failed, and the memory they hold, as
// counted against the limits (config.Delivery.MaxBufferedEvents and
// MaxBufferedBytes). The Kafka client's own buffer metrics
// (github.com/twmb/franz-go/plugin/kprom) count the same records from the
// client's side.
type BufferStats struct {
	Events int64 // at most config.Delivery.MaxBufferedEvents
	Bytes  int64 // at most config.Delivery.MaxBufferedBytes (one larger event passes alone)
}
