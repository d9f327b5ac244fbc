// Package chrony reads chronyd's state over its command protocol (the one
// chronyc speaks, candm.h in chrony's source) with facebook/time's client:
// tracking, every source, and its statistics. No subprocess, no privilege:
// these requests are allowed on UDP 127.0.0.1:323.
package chrony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ntphealth/ntphealth/internal/probe/deadline"

	fbchrony "github.com/facebook/time/ntp/chrony"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// DefaultAddress is chronyd's command port on loopback (chrony.conf(5) cmdport).
const DefaultAddress = "127.0.0.1:323"

// DefaultTimeout bounds one whole probe: every request and reply.
const DefaultTimeout = 2 * time.Second

// Probe reads one chronyd.
type Probe struct {
	// Address is host:port (UDP) or unix:///path/to/chronyd.sock.
	Address string
	// Timeout bounds the whole exchange; DefaultTimeout when zero.
	Timeout time.Duration
}

var socketID atomic.Uint64

func nextSocketID() uint64 { return socketID.Add(1) }

// Observe asks chronyd for tracking, sources and sourcestats, and over the
// unix socket for serverstats too. It never fails:
// a chronyd that is absent, dead or garbled yields a Daemon with Error set.
func (p Probe) Observe(ctx context.Context) *observe.Daemon {
	start := time.Now()
	d := &observe.Daemon{Kind: "chrony", Address: p.Address, Sources: []observe.Source{}}
	if err := p.read(ctx, d); err != nil {
		d.Error = explain(err)
		d.Tracking = observe.Tracking{}
		d.Sources = []observe.Source{}
		d.Unresolved, d.ServerStats = nil, nil
	}
	d.DurationSeconds = time.Since(start).Seconds()
	return d
}

func (p Probe) read(ctx context.Context, d *observe.Daemon) error {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, cleanup, err := dial(ctx, p.Address)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer cleanup()
	defer conn.Close()
	stop, err := deadline.Bind(ctx, conn)
	if err != nil {
		return err
	}
	defer stop()

	if err := query(conn, d); err != nil {
		return err
	}
	if strings.HasPrefix(p.Address, unixScheme) {
		// Only for the metrics, not the verdict: a refusal leaves it nil.
		st, err := serverStats(conn)
		if deadline.IsTimeout(err) {
			return err
		}
		d.ServerStats = st
	}
	return nil
}

// maxSources bounds how many sources the probe reads. A real chronyd has a
// few dozen at most; a larger count is a garbled reply, and reading it
// would only run into the deadline.
const maxSources = 1024

// query asks chronyd for tracking, the sources and their statistics over an
// open connection (one datagram per request and reply) and fills d.
func query(conn io.ReadWriter, d *observe.Daemon) error {
	c := &fbchrony.Client{Connection: &replyChecker{ReadWriter: conn}}
	tracking, err := request[*fbchrony.ReplyTracking](c, fbchrony.NewTrackingPacket(), "tracking", -1)
	if err != nil {
		return err
	}
	n, err := request[*fbchrony.ReplySources](c, fbchrony.NewSourcesPacket(), "sources", -1)
	if err != nil {
		return err
	}
	if n.NSources < 0 || n.NSources > maxSources {
		// chronyd sends a uint32, which the decoder converts to int: on
		// 32-bit ARM a count from 2^31 on arrives negative. uint32 gives
		// back what chronyd sent, on every architecture.
		return fmt.Errorf("sources request: chronyd reports %d sources, more than the %d a real one has: %w", uint32(n.NSources), maxSources, errMalformed)
	}
	var placeholders []observe.Source
	d.Sources = make([]observe.Source, 0, n.NSources)
	// One request packet of each kind serves every source: the client sets
	// its sequence number, readSource its index.
	pk := sourcePackets{data: fbchrony.NewSourceDataPacket(0), stats: fbchrony.NewSourceStatsPacket(0)}
	for i := 0; i < n.NSources; i++ {
		src, unresolved, err := readSource(c, pk, int32(i))
		if err != nil {
			return err
		}
		if unresolved {
			placeholders = append(placeholders, src)
			continue
		}
		d.Sources = append(d.Sources, src)
	}
	d.Unresolved = unresolvedNames(placeholders, d.Sources)
	d.Tracking = convertTracking(tracking.Tracking, d.Sources)
	return nil
}

// request sends one packet and insists on the reply type it expects. what
// and, when index >= 0, the source index name the request in an error
// (formatted only then: a round makes a dozen requests).
func request[T fbchrony.ResponsePacket](c *fbchrony.Client, req fbchrony.RequestPacket, what string, index int32) (T, error) {
	var zero T
	resp, err := c.Communicate(req)
	if rc, ok := c.Connection.(*replyChecker); ok && rc.err != nil {
		return zero, fmt.Errorf("%s request: %w", requestName(what, index), rc.err)
	}
	if err != nil {
		switch {
		case isTransport(err):
		case strings.Contains(err.Error(), "got status "):
			// chronyd answered with an error status (candm.h STT_*).
			err = fmt.Errorf("chronyd refused: %w", err)
		default:
			// decodePacket's other errors: a short read, an unknown
			// reply type. None wraps a sentinel to test for.
			err = fmt.Errorf("%w: %w", errMalformed, err)
		}
		return zero, fmt.Errorf("%s request: %w", requestName(what, index), err)
	}
	r, ok := resp.(T)
	if !ok {
		return zero, fmt.Errorf("%s request: unexpected reply %T: %w", requestName(what, index), resp, errMalformed)
	}
	// chronyd echoes the command of the request (candm.h CMD_Reply.command):
	// anything else is a reply to another request.
	if resp.GetCommand() != req.GetCommand() {
		return zero, fmt.Errorf("%s request: reply is for command %d, not %d: %w", requestName(what, index), resp.GetCommand(), req.GetCommand(), errMalformed)
	}
	return r, nil
}

// requestName is what an error calls a request: "tracking", "source 3".
func requestName(what string, index int32) string {
	if index < 0 {
		return what
	}
	return fmt.Sprintf("%s %d", what, index)
}

// Every chronyd reply starts with the protocol version and the packet type
// (candm.h CMD_Reply: PROTO_VERSION_NUMBER 6, PKT_TYPE_CMD_REPLY 2).
const (
	protoVersion  = 6
	pktTypeReply  = 2
	replyHeadSize = 28
)

// replyChecker refuses a datagram that is not a chronyd reply before it is
// decoded: facebook/time's decoder trusts the header.
// The refusal is kept in err, since the client wraps read errors as
// "connection.Read failed", which would mislead.
type replyChecker struct {
	io.ReadWriter
	err error
}

func (r *replyChecker) Read(b []byte) (int, error) {
	r.err = nil
	n, err := r.ReadWriter.Read(b)
	if err != nil || n == 0 {
		return n, err
	}
	if n < 2 || b[0] != protoVersion || b[1] != pktTypeReply {
		r.err = fmt.Errorf("not a chronyd reply (%d bytes starting %q): %w", n, b[:min(n, 8)], errMalformed)
	} else if n < replyHeadSize {
		r.err = fmt.Errorf("reply of %d bytes, shorter than its %d-byte header: %w", n, replyHeadSize, errMalformed)
	}
	if r.err != nil {
		return 0, r.err
	}
	return n, nil
}

// errMalformed marks a reply that is not what chronyd sends.
var errMalformed = errors.New("malformed reply")

// isTransport reports an error of the connection itself (no answer, refused,
// closed), as opposed to a reply that arrived but could not be decoded.
func isTransport(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) || errors.Is(err, net.ErrClosed)
}

// sourcePackets are the requests readSource sends, reused from one source
// to the next (each is some 400 bytes: chronyd wants requests as long as
// their replies).
type sourcePackets struct {
	data  *fbchrony.RequestSourceData
	stats *fbchrony.RequestSourceStats
}

// readSource reads source i; unresolved is true for a placeholder of a name
// not resolved yet (see isUnresolved), which has no statistics.
func readSource(c *fbchrony.Client, pk sourcePackets, i int32) (src observe.Source, unresolved bool, err error) {
	pk.data.Index, pk.stats.Index = i, i
	sd, err := request[*fbchrony.ReplySourceData](c, pk.data, "source", i)
	if err != nil {
		return observe.Source{}, false, err
	}
	src = convertSource(sd.SourceData)
	if isUnresolved(sd.IPAddr) {
		src.Address = ""
		src.Name = sd.IPAddr.String() // ID#..., unless chronyd names it
		if nm, err := request[*fbchrony.ReplyNTPSourceName](c, fbchrony.NewNTPSourceNamePacket(sd.IPAddr), "source name", -1); err == nil && nm.Name != "" {
			src.Name = nm.Name
		} else if deadline.IsTimeout(err) {
			return observe.Source{}, false, err
		}
		return src, true, nil
	}
	if src.Mode != observe.ModeRefclock {
		// The configured name (chronyc sources without -n); an older
		// chronyd may refuse it, and the address serves then.
		if nm, err := request[*fbchrony.ReplyNTPSourceName](c, fbchrony.NewNTPSourceNamePacket(sd.IPAddr), "source name", -1); err == nil && nm.Name != "" {
			src.Name = nm.Name
		}
	}
	if st, err := request[*fbchrony.ReplySourceStats](c, pk.stats, "sourcestats", i); err == nil {
		src.Stats = &observe.SourceStats{
			Samples:   int(st.NSamples),
			Runs:      int(st.NRuns),
			Span:      float64(st.SpanSeconds),
			Frequency: st.ResidFreqPPM,
			Skew:      st.SkewPPM,
			Offset:    slowPositive(st.EstimatedOffset),
			StdDev:    st.StandardDeviation,
		}
	} else if deadline.IsTimeout(err) {
		return observe.Source{}, false, err
	}
	return src, false, nil
}

// chrony's source states (candm.h RPY_SD_ST_*) as chronyc prints them.
var states = map[fbchrony.SourceStateType]observe.State{
	0: observe.StateSelected,
	1: observe.StateUnreachable,
	2: observe.StateFalseticker,
	3: observe.StateJittery,
	4: observe.StateCombined,
	5: observe.StateNotCombined,
}

// chrony's source modes (candm.h RPY_SD_MD_*).
var modes = map[fbchrony.ModeType]observe.Mode{
	0: observe.ModeServer,
	1: observe.ModePeer,
	2: observe.ModeRefclock,
}

// slowPositive turns a chrony offset (positive: local clock fast) into
// observe's sign (positive: local clock slow) without making a zero -0,
// which JSON would print as "-0".
func slowPositive(chronyOffset float64) float64 {
	if chronyOffset == 0 {
		return 0
	}
	return -chronyOffset
}

// convertSource maps one source. chrony's offsets are positive when the
// local clock is ahead (chronyc(1): a source 50 ms behind shows "+50ms");
// observe's are positive when the local clock is slow, as NTP's theta
// (RFC 5905 section 8), so they are negated.
func convertSource(sd fbchrony.SourceData) observe.Source {
	s := observe.Source{
		Mode:        modes[sd.Mode],
		State:       states[sd.State],
		Stratum:     int(sd.Stratum),
		Poll:        int(sd.Poll),
		Reach:       uint8(sd.Reachability),
		Offset:      slowPositive(sd.LatestMeas),
		OffsetError: sd.LatestMeasErr,
	}
	if s.State == "" {
		s.State = observe.StateUnreachable
	}
	if sd.SinceSample != math.MaxUint32 { // MaxUint32: no sample yet (chronyc prints "-")
		s.SampleAge = observe.Seconds(float64(sd.SinceSample))
	}
	if s.Mode == observe.ModeRefclock {
		// A refclock's "address" is its refid (chronyc: UTI_RefidToString).
		s.Name = refidName(binaryRefID(sd.IPAddr.IP[:4]))
	} else if ip := sd.IPAddr.ToNetIP(); ip != nil {
		s.Address = ip.String()
	} else {
		s.Address = sd.IPAddr.String()
	}
	return s
}

// convertTracking maps chronyc tracking. Its "System time" is the
// correction still to apply: positive when the clock is slow, observe's sign
// already; "Last offset" is positive when the clock was fast and is negated.
func convertTracking(t fbchrony.Tracking, sources []observe.Source) observe.Tracking {
	out := observe.Tracking{
		RefID:             fmt.Sprintf("%08X", t.RefID),
		Stratum:           int(t.Stratum),
		Leap:              observe.Leap(t.LeapStatus),
		SystemOffset:      t.CurrentCorrection, // chronyc: positive prints "slow"
		LastOffset:        slowPositive(t.LastOffset),
		RMSOffset:         t.RMSOffset,
		Frequency:         t.FreqPPM,
		ResidualFrequency: t.ResidFreqPPM,
		Skew:              t.SkewPPM,
		RootDelay:         t.RootDelay,
		RootDispersion:    t.RootDispersion,
		UpdateInterval:    t.LastUpdateInterval,
		RefTime:           t.RefTime.UTC(),
	}
	if t.IPAddr != nil && !t.IPAddr.IsUnspecified() {
		out.RefName = t.IPAddr.String()
		for _, s := range sources {
			if s.Address == out.RefName && s.Name != "" {
				out.RefName = s.Name
			}
		}
	} else if t.RefID != 0 {
		out.RefName = refidName(t.RefID)
	}
	return out
}

func binaryRefID(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// refidName prints a refid as text when it is printable ASCII ("PPS"),
// else as 8 hex digits.
func refidName(id uint32) string {
	var b []byte
	for shift := 24; shift >= 0; shift -= 8 {
		c := byte(id >> shift)
		if c == 0 {
			continue
		}
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%08X", id)
		}
		b = append(b, c)
	}
	return strings.TrimSpace(string(b))
}

// explain turns a transport error into a sentence that says what to do.
func explain(err error) string {
	msg := err.Error()
	switch {
	case deadline.IsTimeout(err):
		return deadline.Unanswered(err) + " (is chronyd running, and not stopped? does chrony.conf allow commands from here: cmdallow, bindcmdaddress?)"
	case errors.Is(err, os.ErrNotExist):
		return "no command socket there (is chronyd running? check bindcmdaddress in chrony.conf)"
	case errors.Is(err, os.ErrPermission):
		return "permission denied on the command socket (run as root or as _chrony, or use UDP 127.0.0.1:323)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is chronyd running? systemctl status chrony)"
	case strings.Contains(msg, "UNAUTH"):
		return msg + " (chronyd refused the command: allow this address with cmdallow in chrony.conf, or use the unix socket)"
	case errors.Is(err, errMalformed):
		return msg + " (the answer is not a chronyd reply this probe understands: is chronyd, version 4.x, listening at this address?)"
	}
	return msg
}
