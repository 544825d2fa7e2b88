package event

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

// Text returns an n-byte ASCII string that reads like what services put in
// a long string field (a request URL with an ADQL query), the same for the
// same n: the long string of the benchmark's workloads.
func Text(n int) string {
	const line = "/api/tap/sync?LANG=ADQL&FORMAT=votable&MAXREC=1000&QUERY=SELECT+TOP+100+" +
		"objectId,coord_ra,coord_dec,g_psfFlux,r_psfFlux+FROM+dp02_dc2_catalogs.Object+" +
		"WHERE+CONTAINS(POINT('ICRS',coord_ra,coord_dec),CIRCLE('ICRS',62.0,-37.0,0.05))=1;"
	return strings.Repeat(line, n/len(line)+1)[:n]
}

// SampleLong returns Sample with its Path replaced by Text(n): the 10-field
// event with one long string (mix: ~200 B, str1k: 1 KiB).
func SampleLong(n int) Event10 {
	v := Sample()
	v.Path = Text(n)
	return v
}

// Event50 is a wide event: 50 fields, Event10's ten kinds five times over
// (strings, int, int64, duration, bool, float64, enum, nullable int32, UUID).
type Event50 struct {
	Method1, Method2, Method3, Method4, Method5      string
	Path1, Path2, Path3, Path4, Path5                string
	Status1, Status2, Status3, Status4, Status5      int
	Bytes1, Bytes2, Bytes3, Bytes4, Bytes5           int64
	Latency1, Latency2, Latency3, Latency4, Latency5 time.Duration
	Cached1, Cached2, Cached3, Cached4, Cached5      bool
	Ratio1, Ratio2, Ratio3, Ratio4, Ratio5           float64
	Kind1, Kind2, Kind3, Kind4, Kind5                QueryType
	Retries1, Retries2, Retries3, Retries4, Retries5 *int32
	User1, User2, User3, User4, User5                uuid.UUID
}

// Sample50 returns the wide event the wide workload sends: Sample's values,
// varied a little per group so that the groups are not copies.
func Sample50() Event50 {
	s := Sample()
	r := *s.Retries
	v := Event50{}
	methods := []*string{&v.Method1, &v.Method2, &v.Method3, &v.Method4, &v.Method5}
	paths := []*string{&v.Path1, &v.Path2, &v.Path3, &v.Path4, &v.Path5}
	statuses := []*int{&v.Status1, &v.Status2, &v.Status3, &v.Status4, &v.Status5}
	bytes := []*int64{&v.Bytes1, &v.Bytes2, &v.Bytes3, &v.Bytes4, &v.Bytes5}
	latencies := []*time.Duration{&v.Latency1, &v.Latency2, &v.Latency3, &v.Latency4, &v.Latency5}
	cached := []*bool{&v.Cached1, &v.Cached2, &v.Cached3, &v.Cached4, &v.Cached5}
	ratios := []*float64{&v.Ratio1, &v.Ratio2, &v.Ratio3, &v.Ratio4, &v.Ratio5}
	kinds := []*QueryType{&v.Kind1, &v.Kind2, &v.Kind3, &v.Kind4, &v.Kind5}
	retries := []**int32{&v.Retries1, &v.Retries2, &v.Retries3, &v.Retries4, &v.Retries5}
	users := []*uuid.UUID{&v.User1, &v.User2, &v.User3, &v.User4, &v.User5}
	for i := range 5 {
		*methods[i] = s.Method
		*paths[i] = s.Path
		*statuses[i] = s.Status + i
		*bytes[i] = s.Bytes * int64(i+1)
		*latencies[i] = s.Latency + time.Duration(i)*time.Millisecond
		*cached[i] = i%2 == 0
		*ratios[i] = s.Ratio / float64(i+1)
		*kinds[i] = []QueryType{QuerySync, QueryAsync}[i%2]
		if i != 4 {
			*retries[i] = &r // the last one null
		}
		u := s.User
		u[15] += byte(i)
		*users[i] = u
	}
	return v
}

// AppendFast50 is AppendFast for Event50: the hand-written encoder of the
// wide event, field after field, with no plan and no checks.
func AppendFast50(dst []byte, schemaID uint32, md *payload.Metadata, v *Event50) []byte {
	dst = hwMeta(dst, schemaID, md)
	dst = hwString(dst, v.Method1)
	dst = hwString(dst, v.Method2)
	dst = hwString(dst, v.Method3)
	dst = hwString(dst, v.Method4)
	dst = hwString(dst, v.Method5)
	dst = hwString(dst, v.Path1)
	dst = hwString(dst, v.Path2)
	dst = hwString(dst, v.Path3)
	dst = hwString(dst, v.Path4)
	dst = hwString(dst, v.Path5)
	dst = hwLong(dst, int64(v.Status1))
	dst = hwLong(dst, int64(v.Status2))
	dst = hwLong(dst, int64(v.Status3))
	dst = hwLong(dst, int64(v.Status4))
	dst = hwLong(dst, int64(v.Status5))
	dst = hwLong(dst, v.Bytes1)
	dst = hwLong(dst, v.Bytes2)
	dst = hwLong(dst, v.Bytes3)
	dst = hwLong(dst, v.Bytes4)
	dst = hwLong(dst, v.Bytes5)
	dst = hwDuration(dst, v.Latency1)
	dst = hwDuration(dst, v.Latency2)
	dst = hwDuration(dst, v.Latency3)
	dst = hwDuration(dst, v.Latency4)
	dst = hwDuration(dst, v.Latency5)
	dst = hwBool(dst, v.Cached1)
	dst = hwBool(dst, v.Cached2)
	dst = hwBool(dst, v.Cached3)
	dst = hwBool(dst, v.Cached4)
	dst = hwBool(dst, v.Cached5)
	dst = hwDouble(dst, v.Ratio1)
	dst = hwDouble(dst, v.Ratio2)
	dst = hwDouble(dst, v.Ratio3)
	dst = hwDouble(dst, v.Ratio4)
	dst = hwDouble(dst, v.Ratio5)
	dst = hwKind(dst, v.Kind1)
	dst = hwKind(dst, v.Kind2)
	dst = hwKind(dst, v.Kind3)
	dst = hwKind(dst, v.Kind4)
	dst = hwKind(dst, v.Kind5)
	dst = hwRetries(dst, v.Retries1)
	dst = hwRetries(dst, v.Retries2)
	dst = hwRetries(dst, v.Retries3)
	dst = hwRetries(dst, v.Retries4)
	dst = hwRetries(dst, v.Retries5)
	dst = hwUUIDFast(dst, &v.User1)
	dst = hwUUIDFast(dst, &v.User2)
	dst = hwUUIDFast(dst, &v.User3)
	dst = hwUUIDFast(dst, &v.User4)
	dst = hwUUIDFast(dst, &v.User5)
	return dst
}
