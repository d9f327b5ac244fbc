package notify

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// defaultClient sends the pushes of every target built without
// Options.Client: http.DefaultTransport's settings, with a dialler that
// first looks for a connection Preconnect opened.
var defaultClient = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = ahead.dial
	return &http.Client{Transport: t}
})

// ahead holds the connections Preconnect is opening.
var ahead = preDialer{d: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}

// preDialer hands out a connection dialled ahead of its request, once, and
// dials as http.DefaultTransport does for every other.
type preDialer struct {
	d       net.Dialer // http.DefaultTransport's
	mu      sync.Mutex
	pending map[string]chan dialed // by "network addr"
}

type dialed struct {
	conn net.Conn
	err  error
}

// Preconnect starts, in the background, the DNS lookup and TCP handshake
// of the first push to each URL (or to its proxy, as $HTTPS_PROXY and
// friends say), so that a one-shot check overlaps them with its probes
// instead of paying them after: on a LAN or the internet that is a round
// trip or more saved, which a check that reads a local daemon in a
// millisecond would otherwise wait for. The push takes the connection if
// it is ready or being opened, and dials as usual if the early dial
// failed. ctx bounds the early dials; a connection no push takes is closed
// with the process. Only targets built without Options.Client use them.
func Preconnect(ctx context.Context, rawURLs ...string) {
	for _, raw := range rawURLs {
		addr, ok := dialAddr(raw)
		if !ok {
			continue
		}
		key := "tcp " + addr
		ahead.mu.Lock()
		if ahead.pending == nil {
			ahead.pending = map[string]chan dialed{}
		}
		if _, dup := ahead.pending[key]; dup {
			ahead.mu.Unlock()
			continue
		}
		ch := make(chan dialed, 1)
		ahead.pending[key] = ch
		ahead.mu.Unlock()
		go func() {
			c, err := ahead.d.DialContext(ctx, "tcp", addr)
			ch <- dialed{c, err}
		}()
	}
}

// dialAddr is the host:port a request to raw connects to: its proxy's if
// the environment names one, else its own (port 80 or 443 by default).
func dialAddr(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	if p, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err != nil {
		return "", false
	} else if p != nil {
		u = p
	}
	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "http":
		port = "80"
	case u.Scheme == "https":
		port = "443"
	default: // a socks5:// proxy without a port: leave the dial to the push
		return "", false
	}
	return net.JoinHostPort(u.Hostname(), port), true
}

// dial is the transport's DialContext: the connection dialled ahead for
// addr, once, else a new one.
func (p *preDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	p.mu.Lock()
	ch, ok := p.pending[network+" "+addr]
	delete(p.pending, network+" "+addr)
	p.mu.Unlock()
	if ok {
		select {
		case r := <-ch:
			if r.err == nil {
				return r.conn, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return p.d.DialContext(ctx, network, addr)
}
