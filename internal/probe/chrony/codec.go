package chrony

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
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

// client is one connection's exchange with chronyd: one request, one
// reply, at a time. Its buffers and decoded replies are overwritten by the
// next request.
type client struct {
	conn   io.ReadWriter
	seq    uint32
	req    [sourceNameLen]byte
	reqLen int // of the request in req
	resp   [replyBufSize]byte

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
	c.conn, c.seq = conn, 0
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

// exchange sends the request that request made and reads the reply: a datagram
// that is not a chronyd reply of type want (any type when want is 0) to
// this command, or not a success, is an error. It returns the reply's type
// and what follows its header, which stays valid until the next exchange.
// The request is named in an error by what and, when index >= 0, the
// source's index ("source 3"), formatted only then: a round makes a dozen
// requests.
func (c *client) exchange(want fbchrony.ReplyType, what string, index int32) (fbchrony.ReplyType, []byte, error) {
	fail := func(format string, args ...any) (fbchrony.ReplyType, []byte, error) {
		return 0, nil, fmt.Errorf("%s request: "+format, append([]any{requestName(what, index)}, args...)...)
	}
	c.seq++
	binary.BigEndian.PutUint32(c.req[8:], c.seq)
	cmd := fbchrony.CommandType(binary.BigEndian.Uint16(c.req[4:]))
	if _, err := c.conn.Write(c.req[:c.reqLen]); err != nil {
		return fail("send: %w", err)
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
	if c.head.Status != 0 { // candm.h STT_SUCCESS
		return fail("chronyd refused: got status %s (%d)", c.head.Status, uint16(c.head.Status))
	}
	if want != 0 && c.head.Reply != want {
		return fail("unexpected reply type %d, not %d: %w", uint16(c.head.Reply), uint16(want), errMalformed)
	}
	// chronyd echoes the command of the request (candm.h CMD_Reply.command):
	// anything else is a reply to another request.
	if c.head.Command != cmd {
		return fail("reply is for command %d, not %d: %w", uint16(c.head.Command), uint16(cmd), errMalformed)
	}
	return c.head.Reply, b[replyHeadSize:], nil
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
