package chrony_test

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// fakeServer answers every datagram sent to it on 127.0.0.1 with
// reply(request); a nil reply is no answer. It stands in for the faults a
// real chronyd cannot be made to show.
func fakeServer(t testing.TB, reply func(req []byte) []byte) string {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("fake server: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 2048)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return // closed by cleanup
			}
			if b := reply(append([]byte(nil), buf[:n]...)); b != nil {
				conn.WriteToUDP(b, from)
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); wg.Wait() })
	return conn.LocalAddr().String()
}

// relay forwards datagrams to target and back, one exchange at a time, and
// records every reply: real chronyd bytes for the decoder's tests.
type relay struct {
	mu      sync.Mutex
	replies [][]byte
}

func startRelay(t testing.TB, target string) (string, *relay) {
	t.Helper()
	up, err := net.Dial("udp", target)
	if err != nil {
		t.Fatalf("relay: %v", err)
	}
	t.Cleanup(func() { up.Close() })
	r := &relay{}
	addr := fakeServer(t, func(req []byte) []byte {
		if _, err := up.Write(req); err != nil {
			return nil
		}
		up.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 2048)
		n, err := up.Read(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				t.Logf("relay: %v", err)
			}
			return nil
		}
		r.mu.Lock()
		r.replies = append(r.replies, append([]byte(nil), buf[:n]...))
		r.mu.Unlock()
		return buf[:n]
	})
	return addr, r
}

func (r *relay) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.replies
	r.replies = nil
	return out
}
