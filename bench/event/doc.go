// Package event is the 10-field event every producer of the benchmark
// harness sends, in the three shapes the producers need: the SDK's payload
// type (Event10), the struct a hamba/avro user writes by hand (Avro), and a
// hand-written append encoder (AppendHand), the baseline of the encode figure.
// All three write the same bytes for the same event, id and time.
//
// It also holds the events of the realistic workloads (issue 17): Event10
// with one long string (SampleLong, Text) and the 50-field Event50, and the
// encoders of the workloads' floor run (AppendFast, AppendFast50), which
// write the same bytes as fast as this package knows how.
package event
