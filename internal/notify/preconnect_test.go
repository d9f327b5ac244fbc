package notify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

// TestPreconnectTakenByPush: the connection Preconnect opens is the one the
// push sends on: the receiver accepts it before the push is made, and
// accepts no other.
func TestPreconnectTakenByPush(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		notifytest.KumaOK().Write(w)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	url := srv.URL + "/api/push/Preconnect1"

	Preconnect(context.Background(), url)
	for deadline := time.Now().Add(5 * time.Second); conns.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Preconnect opened no connection within 5 s")
		}
	}
	k, err := NewKuma(url, Options{}, PingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res := k.Notify(context.Background(), health.Report{Status: health.OK, Summary: "ok"}); !res.OK {
		t.Fatalf("push failed: %+v", res)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("receiver accepted %d connections, want 1 (the one opened ahead)", n)
	}
}

// TestPreconnectFailedDialsAgain: an early dial that failed (nothing
// listened yet) leaves the push to dial as usual.
func TestPreconnectFailedDialsAgain(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "http://" + addr + "/api/push/Preconnect2"
	Preconnect(context.Background(), url)
	ahead.mu.Lock()
	ch := ahead.pending["tcp "+addr]
	ahead.mu.Unlock()
	if ch == nil {
		t.Fatal("Preconnect started no dial")
	}
	r := <-ch
	if r.err == nil {
		r.conn.Close()
		t.Fatal("the early dial reached a closed port")
	}
	ch <- r // as the push will find it

	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s (taken by another process in between?): %v", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { notifytest.KumaOK().Write(w) })}
	go srv.Serve(l)
	defer srv.Close()
	k, err := NewKuma(url, Options{Retries: -1}, PingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res := k.Notify(context.Background(), health.Report{Status: health.OK, Summary: "ok"}); !res.OK || res.Attempts != 1 {
		t.Fatalf("push after a failed early dial: %+v, want delivered at the first attempt", res)
	}
}

func TestDialAddr(t *testing.T) {
	for raw, want := range map[string]string{
		"https://kuma.example/api/push/x?status=up": "kuma.example:443",
		"http://127.0.0.1:3001/api/push/x":          "127.0.0.1:3001",
		"http://[::1]/api/push/x":                   "[::1]:80",
		"ftp://kuma.example/x":                      "",
		"not a url":                                 "",
	} {
		got, ok := dialAddr(raw)
		if got != want || ok != (want != "") {
			t.Errorf("dialAddr(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
}
