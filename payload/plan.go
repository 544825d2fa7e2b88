package payload

// opKind is what one payload field is, as the encoder sees it.
type opKind uint8

const (
	opString opKind = iota
	opBool
	opInt8
	opInt16
	opInt32
	opInt64
	opUint8
	opUint16
	opUint32
	opFloat32
	opFloat64
	opDuration
	opUUID
	opEnum
)

// fieldOp is one precompiled step of the encoding plan: where the field
// lives in the struct and how to write it.
type fieldOp struct {
	off      uintptr   // offset of the field in the struct
	enum     *enumInfo // for opEnum
	rest     int       // upper bound of the bytes the later fields take, string contents excepted
	kind     opKind
	nullable bool // the field is a pointer: write the union branch first
}

// maxLen bounds the bytes a field takes, string contents excepted. A long
// is bounded by its Go type's range (an int8 takes at most 2 bytes, not the
// 10 of any int64), a string's length by MaxStringLen and an enum index by
// its number of symbols, so that a new value buffer, sized for the bound,
// holds little slack (see codec.maxLen).
func (op *fieldOp) maxLen() int {
	n := 0
	if op.nullable {
		n = 1
	}
	switch op.kind {
	case opBool:
		return n + 1
	case opFloat32:
		return n + 4
	case opFloat64, opDuration:
		return n + 8
	case opUUID:
		return n + 1 + uuidStringLen
	case opString:
		return n + maxStringLenLen
	case opInt8:
		return n + zigzagLen(-1<<7)
	case opUint8:
		return n + zigzagLen(1<<8-1)
	case opInt16:
		return n + zigzagLen(-1<<15)
	case opUint16:
		return n + zigzagLen(1<<16-1)
	case opInt32:
		return n + zigzagLen(-1<<31)
	case opUint32:
		return n + zigzagLen(1<<32-1)
	case opEnum:
		return n + zigzagLen(int64(len(op.enum.symbols)-1))
	default: // int64, int
		return n + maxVarintLen
	}
}

// maxStringLenLen bounds the length prefix of a string, at most
// MaxStringLen bytes long (longer ones are refused before they are written).
var maxStringLenLen = zigzagLen(MaxStringLen)

// zigzagLen returns the length of v written as an Avro long (see putLong).
func zigzagLen(v int64) int {
	u := zigzag(v)
	n := 1
	for ; u >= 0x80; u >>= 7 {
		n++
	}
	return n
}
