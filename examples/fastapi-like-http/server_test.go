package main

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener hands the server the server ends of net.Pipe connections, so
// that the server runs on synctest's clock.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// dial returns the client end of a new connection to the server.
func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.conns <- server
	return client
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// closedBy reports whether the server has closed c by the end of d (on
// synctest's clock): whatever the server still sends is read, then the end
// of the stream is what a closed connection gives.
func closedBy(c net.Conn, d time.Duration) bool {
	time.Sleep(d)
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	_, err := io.ReadAll(c)
	return err == nil
}

// The example's server does not keep forever what a client leaves open: a
// kept-alive connection with no next request, a request body that dribbles
// in one byte a second, a client that never reads its response. Each is
// closed within minutes (the server's IdleTimeout, ReadTimeout and
// WriteTimeout), as a production server must.
func TestServerTimeouts(t *testing.T) {
	const bound = 5 * time.Minute
	tests := []struct {
		name   string
		client func(t *testing.T, c net.Conn) bool // reports whether the server closed c within bound
	}{
		{"idle keep-alive connection", func(t *testing.T, c net.Conn) bool {
			if _, err := io.WriteString(c, "GET /small HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Close {
				t.Fatalf("status %d, close %v: want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
			}
			return closedBy(c, bound)
		}},
		{"request body dribbling in", func(t *testing.T, c net.Conn) bool {
			if _, err := io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			go func() {
				_, _ = io.Copy(io.Discard, c) // whatever the server answers
			}()
			for start := time.Now(); time.Since(start) < bound; time.Sleep(time.Second) {
				if _, err := io.WriteString(c, "x"); err != nil {
					return true // closed by the server
				}
			}
			return false
		}},
		{"response never read", func(t *testing.T, c net.Conn) bool {
			if _, err := io.WriteString(c, "GET /large HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			return closedBy(c, bound)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mux := http.NewServeMux()
				mux.HandleFunc("GET /small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
				mux.HandleFunc("GET /large", func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.WriteString(w, strings.Repeat("x", 1<<20))
				})
				mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
				})
				srv := newServer(mux, slog.New(slog.DiscardHandler))
				ln := newPipeListener()
				served := make(chan error, 1)
				go func() { served <- srv.Serve(ln) }()
				c := ln.dial()
				if !tt.client(t, c) {
					t.Errorf("the server kept the connection open for %s", bound)
				}
				c.Close()
				srv.Close()
				if err := <-served; !errors.Is(err, http.ErrServerClosed) {
					t.Errorf("Serve: %v", err)
				}
			})
		})
	}
}
