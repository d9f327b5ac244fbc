package faults

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// garbageUDP answers every datagram with bytes that are not a chronyd
// reply: a daemon that is up but speaks something else (or a broken one).
// It returns its address.
func garbageUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("garbage udp: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte("HTTP/1.0 400 Bad Request\r\n\r\nthis is not chronyd"), from)
		}
	}()
	return pc.LocalAddr().String()
}

// slowRelay forwards each datagram to upstream (a real chronyd's command
// port) and sends the reply back after delay: a daemon that answers, late.
// It returns its address.
func slowRelay(t *testing.T, upstream string, delay time.Duration) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("slow relay: %v", err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(done); pc.Close(); wg.Wait() })
	go func() {
		for {
			buf := make([]byte, 2048)
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			wg.Go(func() { relayOne(pc, from, upstream, buf[:n], delay, done) })
		}
	}()
	return pc.LocalAddr().String()
}

// relayOne asks upstream once (within 2 s) and answers from after delay.
func relayOne(pc net.PacketConn, from net.Addr, upstream string, req []byte, delay time.Duration, done <-chan struct{}) {
	up, err := net.Dial("udp", upstream)
	if err != nil {
		return
	}
	defer up.Close()
	up.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := up.Write(req); err != nil {
		return
	}
	reply := make([]byte, 2048)
	n, err := up.Read(reply)
	if err != nil {
		return
	}
	select {
	case <-time.After(delay):
	case <-done:
		return
	}
	pc.WriteTo(reply[:n], from)
}

// receiver is a fake push target that records what it was sent.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string // the request URIs, in order
}

// URL returns the receiver's Kuma push URL for token.
func (r *receiver) URL(token string) string { return r.srv.URL + "/api/push/" + token }

// Hits returns the request URIs received so far.
func (r *receiver) Hits() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.hits...)
}

// newReceiver starts a push target that answers with h after recording the
// request.
func newReceiver(t *testing.T, h http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.hits = append(r.hits, req.URL.RequestURI())
		r.mu.Unlock()
		h(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// kumaOK answers as Uptime Kuma does for a known token
// (notifytest.KumaOK: server/routers/api-router.js:96).
func kumaOK(w http.ResponseWriter, _ *http.Request) { notifytest.KumaOK().Write(w) }

// pushState is one column of the push dimension: a kind of target and what
// ntphealth must say about it on stderr.
type pushState struct {
	name string
	// handler answers the push; nil for a refused connection.
	handler http.HandlerFunc
	// delivered is true when the push must succeed.
	delivered bool
	// stderr is a substring the failure message must hold ("" when delivered).
	stderr string
	// attempts is how many requests the target must see (push retries: 1).
	attempts int
}

// pushStates builds the push dimension; hold is closed when the test ends,
// releasing the hanging target.
func pushStates(hold <-chan struct{}) []pushState {
	return []pushState{
		{name: "ok", handler: kumaOK, delivered: true, attempts: 1},
		{name: "refused", stderr: "connection refused", attempts: 0},
		// Kuma behind an nginx that answers 500 (ngx_http_special_response.c).
		{name: "500", handler: notifytest.NginxError(http.StatusInternalServerError).ServeHTTP, stderr: "HTTP 500", attempts: 2},
		// Kuma's answer to an unknown token (api-router.js:105).
		{name: "404-kuma", handler: notifytest.KumaNotFound().ServeHTTP, stderr: "unknown push token", attempts: 1},
		// Kuma's web page, for a URL that is not its push route (server.js:292).
		{name: "webpage-200", handler: notifytest.KumaPage().ServeHTTP, stderr: "web page", attempts: 1},
		{name: "hanging", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-hold:
			}
		}, stderr: "no answer within", attempts: 2},
		{name: "slow-within", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(slowPush):
			case <-r.Context().Done():
				return
			}
			kumaOK(w, r)
		}, delivered: true, attempts: 1},
	}
}

// refusedURL returns a Kuma push URL on a loopback port where nothing
// listens.
func refusedURL(t *testing.T, token string) string {
	return "http://" + testenv.FreeTCPAddr(t) + "/api/push/" + token
}
