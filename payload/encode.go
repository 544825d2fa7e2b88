package payload

import (
	"encoding/binary"
	"math"
)

// Avro binary primitives. Each appends to dst and returns the extended slice;
// none allocates when dst has room.

// appendLong appends v as an Avro long: zig-zag, then a base-128 varint.
func appendLong(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

// appendString appends s as an Avro string: its length as a long, then its bytes.
func appendString(dst []byte, s string) []byte {
	dst = appendLong(dst, int64(len(s)))
	return append(dst, s...)
}

// appendBool appends b as an Avro boolean: one byte, 0 or 1.
func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// appendFloat appends f as an Avro float: 4 bytes, IEEE 754, little-endian.
func appendFloat(dst []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
}

// appendDouble appends f as an Avro double: 8 bytes, IEEE 754, little-endian.
func appendDouble(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// durationSeconds converts nanoseconds to float seconds, the way Safir
// (dataclasses-avroschema, timedelta.total_seconds) writes a duration. A single
// division is correctly rounded for any duration below 2^53 ns (104 days),
// which time.Duration.Seconds (two roundings) is not.
func durationSeconds(ns int64) float64 {
	return float64(ns) / 1e9
}

// uuidStringLen is the length of the canonical text form of a UUID.
const uuidStringLen = 36

// appendUUID appends u as an Avro string holding its canonical lower-case
// 8-4-4-4-12 text, without building an intermediate string.
func appendUUID(dst []byte, u *[16]byte) []byte {
	const hex = "0123456789abcdef"
	var buf [1 + uuidStringLen]byte
	buf[0] = uuidStringLen << 1 // zig-zag length, fits one byte
	j := 1
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf[j] = '-'
			j++
		}
		buf[j] = hex[b>>4]
		buf[j+1] = hex[b&0x0f]
		j += 2
	}
	return append(dst, buf[:]...)
}

// appendHeader appends the Confluent wire-format header: magic byte 0 and
// the schema id as 4 bytes, big-endian.
func appendHeader(dst []byte, schemaID uint32) []byte {
	dst = append(dst, 0)
	return binary.BigEndian.AppendUint32(dst, schemaID)
}

// floorMillis converts unix nanoseconds to unix milliseconds, rounding
// towards negative infinity (Python's // as Safir does).
func floorMillis(ns int64) int64 {
	ms := ns / 1e6
	if ns%1e6 < 0 {
		ms--
	}
	return ms
}
