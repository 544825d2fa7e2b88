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

// maxLen bounds the bytes a field takes, string contents excepted.
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
	default: // longs, string lengths, enum indexes
		return n + maxVarintLen
	}
}
