package payload

import (
	"slices"
	"unicode/utf8"
	"unsafe"
)

// maxLen bounds the framed size of the event at p with application app.
func (c *codec) maxLen(app string, p unsafe.Pointer) int {
	n := c.fixedLen + len(app)
	for _, i := range c.stringOps {
		op := &c.ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			if fp = *(*unsafe.Pointer)(fp); fp == nil {
				continue
			}
		}
		n += len(*(*string)(fp))
	}
	return n
}

// appendValue writes the framed event; p points to a value of the codec's
// type. It is the hot path: one pass over the precompiled ops, reading each
// field at its offset and writing it in place. Room is checked up front for
// everything but string contents, and before each string for the string and
// the bound of what follows; growing (to the value's upper bound) happens at
// most once unless the value changes while being encoded.
//
// Invalid UTF-8 is handled off this path: the strings are written as they
// are, and checked for ASCII a word at a time as they are written (the
// common case, known valid). Only if one is not ASCII are they checked with
// utf8.ValidString, and only if one is invalid is the event encoded again,
// from a copy whose strings are repaired (see repaired), so that the checks
// apply to the repaired strings and the first bad field in wire order is
// still the one reported. When encode stops at a bad value, the strings
// after it are not checked: the error is the same whether or not they are
// repaired first.
func (c *codec) appendValue(dst []byte, schemaID uint32, md *Metadata, p unsafe.Pointer) (_ []byte, _ error, repair bool) {
	out, bits, err := c.encode(dst, schemaID, md, p)
	if bits&highBits == 0 {
		return out, err, false
	}
	return c.appendNonASCII(dst, schemaID, md, p, out, err)
}

// appendNonASCII is appendValue's slow path for an event with a string
// that is not ASCII or is too long: out and err are what encode made of it
// as it is, kept when every string is valid UTF-8.
//
//go:noinline
func (c *codec) appendNonASCII(dst []byte, schemaID uint32, md *Metadata, p unsafe.Pointer, out []byte, err error) (_ []byte, _ error, repair bool) {
	if err == nil && c.validStrings(md.Application, p) {
		return out, nil, false
	}
	return dst, nil, true
}

// appendRepaired encodes the value at q, a copy the caller owns, after
// repairing its strings and the application name in place.
//
//go:noinline
func (c *codec) appendRepaired(dst []byte, schemaID uint32, md *Metadata, q unsafe.Pointer) ([]byte, error) {
	rmd := *md
	rmd.Application = repairString(md.Application)
	c.repair(q)
	out, _, err := c.encode(dst, schemaID, &rmd, q)
	return out, err
}

// validStrings reports whether the application and every string field of
// the value at p are valid UTF-8.
func (c *codec) validStrings(app string, p unsafe.Pointer) bool {
	if !utf8.ValidString(app) {
		return false
	}
	for _, i := range c.stringOps {
		op := &c.ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			if fp = *(*unsafe.Pointer)(fp); fp == nil {
				continue
			}
		}
		if !utf8.ValidString(*(*string)(fp)) {
			return false
		}
	}
	return true
}

// repair replaces, in the value at q, each string field that is not valid
// UTF-8 with its repaired text: each run of invalid bytes becomes U+FFFD. A
// string over MaxStringLen bytes is left as it is, for encode to refuse
// without repairing it. q must be a copy: a nullable field gets a new
// pointer, the caller's string is never written. It allocates.
func (c *codec) repair(q unsafe.Pointer) {
	for _, i := range c.stringOps {
		op := &c.ops[i]
		fp := unsafe.Add(q, op.off)
		if op.nullable {
			sp := *(**string)(fp)
			if sp == nil || len(*sp) > MaxStringLen || utf8.ValidString(*sp) {
				continue
			}
			r := repairString(*sp)
			*(**string)(fp) = &r
			continue
		}
		if s := *(*string)(fp); len(s) <= MaxStringLen {
			*(*string)(fp) = repairString(s)
		}
	}
}

// encode is appendValue's pass over the ops: it writes the framed event
// with its strings as they are, and returns the OR of the bytes of the
// application and of the strings it wrote (see orBytes) for appendValue's
// ASCII check.
func (c *codec) encode(dst []byte, schemaID uint32, md *Metadata, p unsafe.Pointer) (_ []byte, strBits uint64, _ error) {
	app := md.Application // read once: it is checked, then written
	if len(app) > MaxStringLen {
		return dst, 0, c.stringError(appField, len(app))
	}
	strBits = orBytes(app)
	b := dst[:cap(dst)]
	if len(b)-len(dst) < c.fixedLen+len(app) {
		b = grow(dst, len(dst), c.maxLen(app, p))
	}
	n := putHeader(b, len(dst), schemaID)
	n = putUUID(b, n, (*[16]byte)(&md.ID))
	n = putString(b, n, app)
	n = putLong(b, n, floorMillis(md.TimestampNS))
	n = putLong(b, n, md.TimestampNS)
	ops := c.ops
	for i := range ops {
		op := &ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			fp = *(*unsafe.Pointer)(fp)
			if fp == nil {
				b[n] = 0 // union branch 0: null
				n++
				continue
			}
			b[n] = 2 // union branch 1, zig-zag
			n++
		}
		switch op.kind {
		case opString:
			s := *(*string)(fp)
			if len(s) > MaxStringLen {
				return dst, strBits, c.stringError(i, len(s))
			}
			if len(s) > len(b)-n-maxStringLenLen-op.rest {
				b = grow(b, n, len(s)+maxStringLenLen+op.rest)
			}
			if len(s) < orLongThreshold {
				strBits |= orBytes(s)
			} else {
				strBits |= orLong(s)
			}
			n = putString(b, n, s)
		case opBool:
			n = putBool(b, n, *(*bool)(fp))
		case opInt8:
			n = putLong(b, n, int64(*(*int8)(fp)))
		case opInt16:
			n = putLong(b, n, int64(*(*int16)(fp)))
		case opInt32:
			n = putLong(b, n, int64(*(*int32)(fp)))
		case opInt64:
			n = putLong(b, n, *(*int64)(fp))
		case opUint8:
			n = putLong(b, n, int64(*(*uint8)(fp)))
		case opUint16:
			n = putLong(b, n, int64(*(*uint16)(fp)))
		case opUint32:
			n = putLong(b, n, int64(*(*uint32)(fp)))
		case opFloat32:
			f := *(*float32)(fp)
			if !finite32(f) {
				return dst, strBits, c.floatError(i, float64(f))
			}
			n = putFloat(b, n, f)
		case opFloat64:
			f := *(*float64)(fp)
			if !finite64(f) {
				return dst, strBits, c.floatError(i, f)
			}
			n = putDouble(b, n, f)
		case opDuration:
			n = putDouble(b, n, durationSeconds(*(*int64)(fp)))
		case opUUID:
			n = putUUID(b, n, (*[16]byte)(fp))
		case opEnum:
			s := *(*string)(fp)
			idx := op.enum.lookup(s)
			if idx < 0 {
				return dst, strBits, c.enumError(i, s)
			}
			n = putLong(b, n, int64(idx))
		}
	}
	return b[:n], strBits, nil
}

// grow returns b[:n] with room for need more bytes, resliced to its capacity.
// It is the slow path of appendValue, kept out of line.
//
//go:noinline
func grow(b []byte, n, need int) []byte {
	// Exactly what is needed (the allocator rounds it up to its size
	// class), not append's doubling: need is a bound of the rest of the
	// event already, and a value buffer is held for as long as its event
	// is buffered.
	nb := slices.Grow([]byte(nil), n+need)
	nb = nb[:cap(nb)]
	copy(nb, b[:n])
	return nb
}
