package payload

import (
	"encoding/binary"
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Avro binary primitives, writing into b at n and returning the new n. The
// caller has made b long enough (see codec.maxLen): none of them grows b, so
// the hot loop makes no calls that force it to spill registers.

// maxVarintLen is the longest Avro long.
const maxVarintLen = 10

// uuidStringLen is the length of the canonical text form of a UUID.
const uuidStringLen = 36

// headerLen is the length of the Confluent wire-format header.
const headerLen = 5

// putHeader writes the Confluent wire-format header: magic byte 0 and the
// schema id as 4 bytes, big-endian.
func putHeader(b []byte, n int, schemaID uint32) int {
	b = b[n : n+headerLen]
	b[0] = 0
	binary.BigEndian.PutUint32(b[1:], schemaID)
	return n + headerLen
}

// zigzag maps v to the unsigned integer an Avro long is written as.
func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// putLong writes v as an Avro long: zig-zag, then a base-128 varint.
func putLong(b []byte, n int, v int64) int {
	u := zigzag(v)
	for u >= 0x80 {
		b[n] = byte(u) | 0x80
		u >>= 7
		n++
	}
	b[n] = byte(u)
	return n + 1
}

// putString writes s as an Avro string: its length as a long, then its bytes.
func putString(b []byte, n int, s string) int {
	n = putLong(b, n, int64(len(s)))
	return n + copy(b[n:], s)
}

// replacementChar is what each run of invalid UTF-8 bytes in a string
// becomes, as strings.ToValidUTF8(s, "\uFFFD") does.
const replacementChar = "\uFFFD"

// highBits masks the top bit of each byte of a word.
const highBits = 0x8080808080808080

// orBytes returns the OR of the bytes of s, a word at a time: s is ASCII,
// and so valid UTF-8, when the result has no highBits set. It inlines.
func orBytes(s string) uint64 {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	var acc uint64
	for ; len(b) >= 8; b = b[8:] {
		acc |= binary.LittleEndian.Uint64(b)
	}
	if n := len(b); n >= 4 {
		return acc | uint64(binary.LittleEndian.Uint32(b)|binary.LittleEndian.Uint32(b[n-4:]))
	} else if n > 0 {
		return acc | uint64(b[0]|b[n/2]|b[n-1])
	}
	return acc
}

// orLongThreshold is the length from which a string's ASCII check uses
// orLong rather than orBytes.
const orLongThreshold = 64

// orLong is orBytes for long strings: four independent words per iteration
// (orBytes has one dependency chain), several times faster on a string of
// kilobytes, so that the ASCII check stays a small part of encoding one.
// It does not inline; orBytes does.
func orLong(s string) uint64 {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	var a0, a1, a2, a3 uint64
	for ; len(b) >= 32; b = b[32:] {
		a0 |= binary.LittleEndian.Uint64(b)
		a1 |= binary.LittleEndian.Uint64(b[8:])
		a2 |= binary.LittleEndian.Uint64(b[16:])
		a3 |= binary.LittleEndian.Uint64(b[24:])
	}
	return a0 | a1 | a2 | a3 | orBytes(unsafe.String(unsafe.SliceData(b), len(b)))
}

// repairedLen returns the length of s once each run of invalid UTF-8 bytes
// is replaced by U+FFFD (3 bytes). It is at most 3*len(s).
func repairedLen(s string) int {
	n := 0
	invalid := false
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			n++
			invalid = false
			continue
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		if w == 1 {
			i++
			if !invalid {
				invalid = true
				n += len(replacementChar)
			}
			continue
		}
		invalid = false
		i += w
		n += w
	}
	return n
}

// repairString returns s with each run of invalid UTF-8 bytes replaced by
// U+FFFD. It allocates only when s is invalid.
func repairString(s string) string { return strings.ToValidUTF8(s, replacementChar) }

// finite64 reports whether f is neither NaN nor ±Inf: its exponent bits are
// not all ones.
func finite64(f float64) bool {
	const exp = 0x7ff0000000000000
	return math.Float64bits(f)&exp != exp
}

// finite32 reports whether f is neither NaN nor ±Inf.
func finite32(f float32) bool {
	const exp = 0x7f800000
	return math.Float32bits(f)&exp != exp
}

// putBool writes v as an Avro boolean: one byte, 0 or 1.
func putBool(b []byte, n int, v bool) int {
	var x byte
	if v {
		x = 1
	}
	b[n] = x
	return n + 1
}

// putFloat writes f as an Avro float: 4 bytes, IEEE 754, little-endian.
func putFloat(b []byte, n int, f float32) int {
	binary.LittleEndian.PutUint32(b[n:], math.Float32bits(f))
	return n + 4
}

// putDouble writes f as an Avro double: 8 bytes, IEEE 754, little-endian.
func putDouble(b []byte, n int, f float64) int {
	binary.LittleEndian.PutUint64(b[n:], math.Float64bits(f))
	return n + 8
}

// durationSeconds converts nanoseconds to float seconds, the way Safir
// (dataclasses-avroschema, timedelta.total_seconds) writes a duration. A single
// division is correctly rounded for any duration below 2^53 ns (104 days),
// which time.Duration.Seconds (two roundings) is not.
func durationSeconds(ns int64) float64 {
	return float64(ns) / 1e9
}

// putUUID writes u as an Avro string holding its canonical lower-case
// 8-4-4-4-12 text.
func putUUID(b []byte, n int, u *[16]byte) int {
	b = b[n : n+1+uuidStringLen]
	b[0] = uuidStringLen << 1 // zig-zag length, one byte
	binary.BigEndian.PutUint64(b[1:9], hex8(binary.BigEndian.Uint32(u[0:4])))
	m := hex8(binary.BigEndian.Uint32(u[4:8]))
	c := hex8(binary.BigEndian.Uint32(u[8:12]))
	b[9] = '-'
	binary.BigEndian.PutUint32(b[10:14], uint32(m>>32))
	b[14] = '-'
	binary.BigEndian.PutUint32(b[15:19], uint32(m))
	b[19] = '-'
	binary.BigEndian.PutUint32(b[20:24], uint32(c>>32))
	b[24] = '-'
	binary.BigEndian.PutUint32(b[25:29], uint32(c))
	binary.BigEndian.PutUint64(b[29:37], hex8(binary.BigEndian.Uint32(u[12:16])))
	return n + 1 + uuidStringLen
}

// hex8 returns the 8 lower-case hex digits of v as the bytes of a uint64,
// most significant digit in the most significant byte (SWAR, no table).
func hex8(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f // one nibble per byte
	letters := ((x + 0x0606060606060606) >> 4) & 0x0101010101010101
	return x + 0x3030303030303030 + letters*('a'-'0'-10)
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
