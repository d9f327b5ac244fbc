package chrony

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	fbchrony "github.com/facebook/time/ntp/chrony"
)

// The command protocol's wire format, as chrony's candm.h lays it out, for
// the requests the probe sends and the replies it reads.
//
// facebook/time's Client.Communicate allocates some 1.4 KB a request (the
// packet encoded twice over, a 1 KiB reply buffer, a reader, the reply
// decoded into one struct and copied into another), and a round makes a
// dozen requests: that was half of what a daemon round allocated (issue
// 10). client speaks the same protocol with buffers and decoded values that
// serve request after request, and round after round from a pool. It
// decodes into facebook/time's types where they are exported (ReplyHead,
// IPAddr, ServerStats*) and into mirrors of candm.h's structures where
// facebook/time keeps its own unexported (replies_test.go checks both
// decoders agree on chronyd's captured replies, and the requests byte for
// byte). Nothing decoded here may leave the client: what a report keeps is
// copied out (numbers, and strings, which Go copies from bytes).

// Commands (candm.h REQ_*), as facebook/time's request packets carry them.
const (
	cmdNSources      fbchrony.CommandType = 14 // REQ_N_SOURCES
	cmdSourceData    fbchrony.CommandType = 15 // REQ_SOURCE_DATA
	cmdTracking      fbchrony.CommandType = 33 // REQ_TRACKING
	cmdSourceStats   fbchrony.CommandType = 34 // REQ_SOURCESTATS
	cmdServerStats   fbchrony.CommandType = 54 // REQ_SERVER_STATS
	cmdNTPSourceName fbchrony.CommandType = 65 // REQ_NTP_SOURCE_NAME
)

// Request lengths. chronyd answers only a request at least as long as its
// reply (pktlength.c PKL_CommandLength pads each command against
// amplification); these are the lengths of facebook/time's packets
// (TestRequestsAsFacebook).
const (
	requestHeadSize = 20  // candm.h CMD_Request up to its data union
	requestLen      = 416 // RequestTracking, RequestSources, RequestServerStats
	indexedLen      = 420 // RequestSourceData, RequestSourceStats
	sourceNameLen   = 424 // RequestNTPSourceName
)

// Every chronyd reply starts with the protocol version and the packet type
// (candm.h CMD_Reply: PROTO_VERSION_NUMBER 6, PKT_TYPE_CMD_REQUEST 1,
// PKT_TYPE_CMD_REPLY 2), and its header is 28 bytes (fbchrony.ReplyHead).
const (
	protoVersion   = 6
	pktTypeRequest = 1
	pktTypeReply   = 2
	replyHeadSize  = 28
)

// replyBufSize is facebook/time's reply buffer: chronyd's largest reply
// (RPY_ClientAccessesByIndex, 548 bytes) fits.
const replyBufSize = 1024

// chronyFloat is candm.h's Float: a 32-bit number with a 7-bit signed
// exponent and a 25-bit signed coefficient, no hidden bit.
type chronyFloat int32

const (
	floatExpBits  = 7
	floatCoefBits = 32 - floatExpBits
)

// float64 is chrony's util.c UTI_FloatNetworkToHost: coef × 2^(exp − 25).
func (f chronyFloat) float64() float64 {
	x := uint32(f)
	exp := int32(x >> floatCoefBits)
	if exp >= 1<<(floatExpBits-1) {
		exp -= 1 << floatExpBits
	}
	exp -= floatCoefBits
	coef := int32(x % (1 << floatCoefBits))
	if coef >= 1<<(floatCoefBits-1) {
		coef -= 1 << floatCoefBits
	}
	return math.Ldexp(float64(coef), int(exp))
}

// timespec is candm.h Timespec; a high word of 0x7fffffff means none
// (util.c UTI_TimespecNetworkToHost).
type timespec struct {
	SecHigh, SecLow, Nsec uint32
}

func (t timespec) time() time.Time {
	high := uint64(t.SecHigh)
	if t.SecHigh == 0x7fffffff {
		high = 0
	}
	return time.Unix(int64(high<<32|uint64(t.SecLow)), int64(t.Nsec))
}

// rpyTracking is candm.h RPY_Tracking (without its EOR, as facebook/time
// reads it).
type rpyTracking struct {
	RefID              uint32
	IPAddr             fbchrony.IPAddr
	Stratum            uint16
	LeapStatus         uint16
	RefTime            timespec
	CurrentCorrection  chronyFloat
	LastOffset         chronyFloat
	RMSOffset          chronyFloat
	FreqPPM            chronyFloat
	ResidFreqPPM       chronyFloat
	SkewPPM            chronyFloat
	RootDelay          chronyFloat
	RootDispersion     chronyFloat
	LastUpdateInterval chronyFloat
}

// rpySourceData is candm.h RPY_Source_Data.
type rpySourceData struct {
	IPAddr         fbchrony.IPAddr
	Poll           int16
	Stratum        uint16
	State          fbchrony.SourceStateType
	Mode           fbchrony.ModeType
	Flags          uint16
	Reachability   uint16
	SinceSample    uint32
	OrigLatestMeas chronyFloat
	LatestMeas     chronyFloat
	LatestMeasErr  chronyFloat
}

// rpySourceStats is candm.h RPY_Sourcestats.
type rpySourceStats struct {
	RefID              uint32
	IPAddr             fbchrony.IPAddr
	NSamples           uint32
	NRuns              uint32
	SpanSeconds        uint32
	StandardDeviation  chronyFloat
	ResidFreqPPM       chronyFloat
	SkewPPM            chronyFloat
	EstimatedOffset    chronyFloat
	EstimatedOffsetErr chronyFloat
}

// client is one connection's exchange with chronyd: one request and its
// reply at a time (exchange, call), or a batch of requests and then their
// replies (send, receive). Its buffers and decoded replies are overwritten
// by the next reply.
type client struct {
	conn     io.ReadWriter
	seq      uint32
	inflight []pending         // requests sent, replies not yet read (send, receive)
	ips      []fbchrony.IPAddr // each source's address, for its name request
	req      [sourceNameLen]byte
	reqLen   int // of the request in req
	resp     [replyBufSize]byte

	head        fbchrony.ReplyHead
	nSources    uint32 // candm.h RPY_N_Sources
	tracking    rpyTracking
	sourceData  rpySourceData
	sourceStats rpySourceStats
	name        [256]byte // candm.h RPY_NTPSourceName
	stats1      fbchrony.ServerStats
	stats2      fbchrony.ServerStats2
	stats3      fbchrony.ServerStats3
	stats4      fbchrony.ServerStats4
}

// clients keeps the clients between rounds: a daemon's rounds reuse one.
var clients = sync.Pool{New: func() any { return new(client) }}

// acquire returns a client for conn; release hands it back.
func acquire(conn io.ReadWriter) *client {
	c := clients.Get().(*client)
	c.conn, c.seq, c.inflight = conn, 0, c.inflight[:0]
	return c
}

func (c *client) release() {
	c.conn = nil
	clients.Put(c)
}

// request starts a request for command cmd of n bytes in c.req (candm.h
// CMD_Request: version, packet type, two reserved bytes, command, attempt,
// sequence, two pads, then the command's data, zero here) and returns its
// data for the caller to fill. exchange sets the sequence.
func (c *client) request(cmd fbchrony.CommandType, n int) []byte {
	b := c.req[:n]
	clear(b)
	c.reqLen = n
	b[0], b[1] = protoVersion, pktTypeRequest
	binary.BigEndian.PutUint16(b[4:], uint16(cmd))
	return b[requestHeadSize:]
}

// putIPAddr writes ip as candm.h IPAddr: 16 address bytes, the family and
// a pad.
func putIPAddr(b []byte, ip *fbchrony.IPAddr) {
	copy(b, ip.IP[:])
	binary.BigEndian.PutUint16(b[16:], ip.Family)
	binary.BigEndian.PutUint16(b[18:], ip.Pad)
}

// exchange sends the request that request made and reads its reply: a
// datagram that is not a chronyd reply of type want (any type when want is
// 0) to this command, or not a success, is an error. It returns the reply's
// type and what follows its header, which stays valid until the next
// reply is read. The request is named in an error by what and, when index
// >= 0, the source's index ("source 3"), formatted only then: a round makes
// a dozen requests.
func (c *client) exchange(want fbchrony.ReplyType, what string, index int32) (fbchrony.ReplyType, []byte, error) {
	if err := c.send(want, what, index, 0); err != nil {
		return 0, nil, err
	}
	var body []byte
	err := c.receive(func(_ int, b []byte, problem error) error {
		body = b
		return problem
	})
	if err != nil {
		return 0, nil, err
	}
	return c.head.Reply, body, nil
}

// call exchanges the request that request made for a reply of type want and
// decodes its data into v, one of c's fields.
func (c *client) call(want fbchrony.ReplyType, v any, what string, index int32) error {
	_, body, err := c.exchange(want, what, index)
	if err != nil {
		return err
	}
	return decode(body, v, what, index)
}

// window bounds a batch's requests in flight: their replies wait in the
// socket's receive buffer (some 200 KiB, net.core.rmem_default), and 32
// replies of at most 1 KiB stay far below it, for chronyd's largest count
// of sources too.
const window = 32

// pending is a request of a batch whose reply is not read yet; tag is the
// caller's, handed back with the reply.
type pending struct {
	seq   uint32
	cmd   fbchrony.CommandType
	want  fbchrony.ReplyType
	what  string
	index int32
	tag   int
}

// send writes the request that request made as one of a batch, without
// waiting for its reply: receive reads the replies. A round's requests go
// out in three batches (tracking and the count; each source's data; each
// source's name and statistics), so that it waits for three round trips,
// not for two and three more per source, each a wake-up of its goroutine.
// chronyd answers each datagram as it reads it and echoes its sequence
// number (candm.h CMD_Reply.sequence), by which receive matches them.
func (c *client) send(want fbchrony.ReplyType, what string, index int32, tag int) error {
	c.seq++
	binary.BigEndian.PutUint32(c.req[8:], c.seq)
	if _, err := c.conn.Write(c.req[:c.reqLen]); err != nil {
		return fmt.Errorf("%s request: send: %w", requestName(what, index), err)
	}
	c.inflight = append(c.inflight, pending{c.seq, fbchrony.CommandType(binary.BigEndian.Uint16(c.req[4:])), want, what, index, tag})
	return nil
}

// receive reads the replies to the requests sent, in whatever order they
// come, and hands each to take with its request's tag: the reply's data,
// or what is wrong with chronyd's answer (a refusal, a reply of another
// type or to another command), for take to judge. A failure to receive
// (the deadline), a datagram that is no chronyd reply, or one to no
// request of the batch, ends the batch with an error, as does an error
// take returns.
func (c *client) receive(take func(tag int, body []byte, err error) error) error {
	for len(c.inflight) > 0 {
		// Until the reply says which request it answers, an error names the
		// oldest one waiting.
		fail := func(format string, args ...any) error {
			p := c.inflight[0]
			return fmt.Errorf("%s request: "+format, append([]any{requestName(p.what, p.index)}, args...)...)
		}
		m, err := c.conn.Read(c.resp[:])
		if err != nil {
			return fail("receive: %w", err)
		}
		b := c.resp[:m]
		switch {
		case m == 0:
			return fail("%w: no data received", errMalformed)
		case m < 2 || b[0] != protoVersion || b[1] != pktTypeReply:
			return fail("not a chronyd reply (%d bytes starting %q): %w", m, b[:min(m, 8)], errMalformed)
		case m < replyHeadSize:
			return fail("reply of %d bytes, shorter than its %d-byte header: %w", m, replyHeadSize, errMalformed)
		}
		if _, err := binary.Decode(b, binary.BigEndian, &c.head); err != nil {
			return fail("%w: %w", errMalformed, err)
		}
		i := slices.IndexFunc(c.inflight, func(p pending) bool { return p.seq == c.head.Sequence })
		if i < 0 {
			return fail("a reply with sequence number %d, which no request waiting had: %w", c.head.Sequence, errMalformed)
		}
		p := c.inflight[i]
		c.inflight = slices.Delete(c.inflight, i, i+1)
		var problem error
		switch {
		case c.head.Status != 0: // candm.h STT_SUCCESS
			problem = fmt.Errorf("%s request: chronyd refused: got status %s (%d)", requestName(p.what, p.index), c.head.Status, uint16(c.head.Status))
		case p.want != 0 && c.head.Reply != p.want:
			problem = fmt.Errorf("%s request: unexpected reply type %d, not %d: %w", requestName(p.what, p.index), uint16(c.head.Reply), uint16(p.want), errMalformed)
		case c.head.Command != p.cmd:
			// chronyd echoes the command of the request (candm.h
			// CMD_Reply.command): anything else answers another request.
			problem = fmt.Errorf("%s request: reply is for command %d, not %d: %w", requestName(p.what, p.index), uint16(c.head.Command), uint16(p.cmd), errMalformed)
		}
		if err := take(p.tag, b[replyHeadSize:], problem); err != nil {
			return err
		}
	}
	return nil
}

// decode reads a reply's data into v.
func decode(body []byte, v any, what string, index int32) error {
	if _, err := binary.Decode(body, binary.BigEndian, v); err != nil {
		return fmt.Errorf("%s request: reply data of %d bytes, shorter than the %d expected: %w",
			requestName(what, index), len(body), binary.Size(v), errMalformed)
	}
	return nil
}

// requestName is what an error calls a request: "tracking", "source 3".
func requestName(what string, index int32) string {
	if index < 0 {
		return what
	}
	return fmt.Sprintf("%s %d", what, index)
}
