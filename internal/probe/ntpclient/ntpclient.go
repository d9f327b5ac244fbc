// Package ntpclient checks an NTP server from outside: it sends NTP client
// queries (RFC 5905 mode 3, with github.com/beevik/ntp) to host[:port] and
// reports what the best reply said. It measures and never judges: kiss-o'-death
// codes and unfit replies are data for health.RemoteChecks.
package ntpclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/beevik/ntp"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// DefaultSamples is how many queries a probe sends. Like check_ntp_time
// (monitoring-plugins) it sends a few and keeps the one with the lowest
// round trip, the least disturbed by queueing (RFC 5905 section 10).
const DefaultSamples = 4

// DefaultTimeout bounds one whole probe: name resolution and every query.
const DefaultTimeout = 2 * time.Second

// Probe queries one NTP server.
type Probe struct {
	// Target is host[:port] (see ParseTarget); the port is Port when absent.
	Target string
	// Port is used when Target has none; DefaultPort (123) when zero.
	Port int
	// Samples is how many queries to send, one after another; DefaultSamples
	// when zero. Sampling stops early at a kiss-o'-death.
	Samples int
	// Timeout bounds the whole probe; DefaultTimeout when zero.
	Timeout time.Duration
	// QueryTimeout bounds each query; Timeout/Samples when zero, so that a
	// lost packet leaves time for the next query.
	QueryTimeout time.Duration
}

func (p Probe) samples() int {
	if p.Samples > 0 {
		return p.Samples
	}
	return DefaultSamples
}

func (p Probe) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

func (p Probe) queryTimeout() time.Duration {
	if p.QueryTimeout > 0 {
		return p.QueryTimeout
	}
	return p.timeout() / time.Duration(p.samples())
}

// Observe queries the server. It never fails: a bad target, a name that does
// not resolve, a server that is silent, refuses or answers garbage yields a
// Remote with Error set. It returns within Timeout, and at once when ctx is
// cancelled.
func (p Probe) Observe(ctx context.Context) *observe.Remote {
	start := time.Now()
	r := &observe.Remote{Target: p.Target, Time: start}
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	if err := p.observe(ctx, r); err != nil {
		r.Error = err.Error()
	}
	r.DurationSeconds = time.Since(start).Seconds()
	return r
}

func (p Probe) observe(ctx context.Context, r *observe.Remote) error {
	host, port, err := ParseTarget(p.Target, p.Port)
	if err != nil {
		return err
	}
	addr, err := resolve(ctx, host, port)
	if err != nil {
		return err
	}
	r.Address = addr.String()

	var best *ntp.Response
	var lastErr error
	for range p.samples() {
		qt := p.queryTimeout()
		if dl, ok := ctx.Deadline(); ok {
			qt = min(qt, time.Until(dl))
		}
		if ctx.Err() != nil || qt <= 0 {
			break
		}
		r.SamplesSent++
		resp, err := query(ctx, addr, qt)
		if err != nil {
			lastErr = err
			continue
		}
		r.SamplesAnswered++
		if isKiss(resp) {
			// RFC 5905 section 7.4: stop on DENY and RSTR, slow down on RATE.
			r.KissCode = resp.KissCode
			break
		}
		r.SamplesUsable++
		if best == nil || resp.RTT < best.RTT {
			best = resp
		}
	}
	if best != nil {
		fill(r, best)
		return nil
	}
	if r.KissCode != "" {
		return nil // answered, but only to say no: health judges the code
	}
	return explain(ctx, addr, r, lastErr)
}

// isKiss reports a kiss-o'-death: stratum 0 with a printable ASCII code as
// reference ID (RFC 5905 section 7.4). An unsynchronised chronyd also sends
// stratum 0, with reference ID 0: that is a reply, not a kiss.
func isKiss(resp *ntp.Response) bool {
	return resp.Stratum == 0 && strings.TrimSpace(resp.KissCode) != ""
}

// resolve turns host into one address; an IP literal needs no lookup.
func resolve(ctx context.Context, host string, port int) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: %w (check the name and the DNS resolver)", host, err)
	}
	if len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: no address", host)
	}
	return netip.AddrPortFrom(addrs[0].Unmap(), uint16(port)), nil
}

// query sends one NTP query with its own deadline; cancelling ctx closes the
// socket, which ends the wait at once.
func query(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (*ntp.Response, error) {
	var stop func() bool
	opt := ntp.QueryOptions{
		Timeout: timeout,
		Dialer: func(_, _ string) (net.Conn, error) {
			c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
			if err != nil {
				return nil, err
			}
			stop = context.AfterFunc(ctx, func() { c.Close() })
			return c, nil
		},
	}
	resp, err := ntp.QueryWithOptions(addr.String(), opt)
	if stop != nil {
		stop()
	}
	return resp, err
}

// explain turns the last query error into a sentence that says what to do.
func explain(ctx context.Context, addr netip.AddrPort, r *observe.Remote, err error) error {
	waited := time.Since(r.Time).Round(time.Millisecond)
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("probe of %s cancelled after %d queries", addr, r.SamplesSent)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s refused the query (ICMP port unreachable): no NTP server listens on UDP port %d", addr, addr.Port())
	case err == nil, ctx.Err() != nil, errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("no answer from %s in %s (%d queries sent): check that the server runs and that UDP port %d is open", addr, waited, r.SamplesSent, addr.Port())
	}
	return fmt.Errorf("no usable reply from %s (%d queries sent): %w: is it an NTP server?", addr, r.SamplesSent, err)
}

// fill copies the best reply into r, in observe's units and signs.
func fill(r *observe.Remote, resp *ntp.Response) {
	// beevik/ntp's ClockOffset is what to add to the local clock (positive:
	// local behind), RFC 5905's theta: observe's sign.
	r.Offset = resp.ClockOffset.Seconds()
	r.RTT = resp.RTT.Seconds()
	r.Stratum = int(resp.Stratum)
	r.Leap = observe.Leap(resp.Leap)
	r.RefID, r.RefName = refID(resp.ReferenceID, resp.Stratum)
	r.RootDelay = resp.RootDelay.Seconds()
	r.RootDispersion = resp.RootDispersion.Seconds()
	r.RootDistance = resp.RootDistance.Seconds()
	r.Precision = resp.Precision.Seconds()
	r.Poll = log2(resp.Poll)
	r.ReferenceTime = resp.ReferenceTime.UTC()
	if err := resp.Validate(); err != nil {
		r.ValidateError = validateMessage(err)
	}
}

// log2 turns beevik's poll interval back into the packet's exponent.
func log2(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	n := 0
	for s := d.Seconds(); s >= 2; s /= 2 {
		n++
	}
	for s := d.Seconds(); s < 1 && s > 0; s *= 2 {
		n--
	}
	return n
}

// refID formats a reference ID (RFC 5905 section 7.3): an ASCII code for
// stratum 0 (kiss code) and 1 (reference clock), else 8 hex digits as
// chronyc prints it, with the IPv4 reading as name.
func refID(id uint32, stratum uint8) (code, name string) {
	b := [4]byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}
	if stratum <= 1 {
		n := 0
		for n < 4 && b[n] >= 32 && b[n] <= 126 {
			n++
		}
		rest := true
		for _, c := range b[n:] {
			rest = rest && c == 0
		}
		if n > 0 && rest {
			return string(b[:n]), ""
		}
	}
	return fmt.Sprintf("%08X", id), fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
}

// validateMessage says in words why Response.Validate rejected a reply.
func validateMessage(err error) string {
	switch {
	case errors.Is(err, ntp.ErrInvalidLeapSecond):
		return "leap indicator says the server is not synchronised"
	case errors.Is(err, ntp.ErrKissOfDeath):
		return "stratum 0: the server is not synchronised"
	case errors.Is(err, ntp.ErrInvalidStratum):
		return "stratum 16: the server is not synchronised"
	case errors.Is(err, ntp.ErrServerClockFreshness):
		return "reference time older than 36 h: the server's clock has not been set for a long time"
	case errors.Is(err, ntp.ErrInvalidDispersion):
		return "root delay/2 + root dispersion above 16 s (RFC 5905 MAXDISP)"
	case errors.Is(err, ntp.ErrInvalidTime):
		return "transmit time before reference time"
	}
	return err.Error()
}
