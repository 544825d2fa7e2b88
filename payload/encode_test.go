package payload

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
)

func TestPutUUID(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	cases := []uuid.UUID{{}, uuid.Max, uuid.MustParse("12345678-1234-4678-9234-567812345678")}
	for range 1000 {
		var u uuid.UUID
		for i := range u {
			u[i] = byte(r.Uint32())
		}
		cases = append(cases, u)
	}
	for _, u := range cases {
		b := make([]byte, 40)
		b[0] = 9
		got := b[:putUUID(b, 1, (*[16]byte)(&u))]
		want := append([]byte{9, 72}, u.String()...)
		if !bytes.Equal(got, want) {
			t.Fatalf("putUUID(%s) = %q", u, got)
		}
	}
}

func TestSnakeCase(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"UserName", "user_name"}, {"ID", "id"}, {"UserID", "user_id"}, {"HTTPStatus", "http_status"},
		{"P95Latency", "p95_latency"}, {"Count2", "count2"}, {"A", "a"}, {"ABC", "abc"}, {"AbcDef", "abc_def"},
		{"Already_Snake", "already_snake"}, {"X1Y", "x1_y"}, {"URLPath", "url_path"}, {"Ünits", "Ünits"},
	}
	for _, tt := range tests {
		if got := snakeCase(tt.in); got != tt.want {
			t.Errorf("snakeCase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPutLong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0}}, {-1, []byte{1}}, {1, []byte{2}}, {-64, []byte{0x7f}}, {64, []byte{0x80, 0x01}},
		{1 << 62, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
		{-1 << 63, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for _, tt := range tests {
		b := make([]byte, maxVarintLen+1)
		if got := b[1:putLong(b, 1, tt.v)]; !bytes.Equal(got, tt.want) {
			t.Errorf("putLong(%d) = %x, want %x", tt.v, got, tt.want)
		}
	}
}
