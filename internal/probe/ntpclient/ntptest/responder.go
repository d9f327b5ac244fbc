// Package ntptest runs a minimal NTP server (RFC 5905 mode 4 replies) on
// loopback for tests: its time, stratum, leap indicator, kiss code and faults
// are set by the test. It serves the fault a real daemon cannot be made to
// show on demand; real servers are tested against chronyd.
package ntptest

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is a way of answering wrongly.
type Fault int

// Faults the responder can show.
const (
	FaultNone        Fault = iota
	FaultSilent            // read the query, never answer
	FaultShort             // answer 12 bytes
	FaultWrongMode         // answer a 48-byte mode 3 (client) packet
	FaultWrongOrigin       // answer with an origin timestamp that is not the query's
)

// Reply says how the responder answers. The zero value is a stratum-1 "GPS"
// server in sync with the local clock.
type Reply struct {
	// ClockOffset is added to the local clock to make the served time:
	// positive serves a time ahead of ours (our clock is behind).
	ClockOffset time.Duration
	// Stratum is the served stratum; 1 when zero and Kiss is empty.
	Stratum uint8
	// Leap is the leap indicator, 0 to 3 (3: not synchronised).
	Leap uint8
	// RefID is the reference ID; "GPS" when empty. Four ASCII characters
	// at most for stratum 1, else an IPv4 address such as "192.0.2.1" or
	// 8 hex digits.
	RefID string
	// Kiss, when set, makes every reply a kiss-o'-death with this code
	// ("RATE", "DENY", "RSTR"): stratum 0, the code as reference ID.
	Kiss string
	// Unsynchronised answers as chronyd does before it has a source:
	// stratum 0, leap 3, reference ID 0 (not a kiss-o'-death).
	Unsynchronised bool
	// RootDelay and RootDispersion are served as they are.
	RootDelay, RootDispersion time.Duration
	// ReferenceAge is how long ago the served clock was last set; 1 s when zero.
	ReferenceAge time.Duration
	// Delay holds each reply back this long.
	Delay time.Duration
	// Fault answers wrongly.
	Fault Fault
}

// Responder is a running NTP server on a UDP socket.
type Responder struct {
	conn    *net.UDPConn
	mu      sync.Mutex
	reply   Reply
	queries atomic.Int64
	held    atomic.Int64 // delayed replies not sent yet
	maxHeld atomic.Int64
	wg      sync.WaitGroup
}

// Readers is how many goroutines read each responder's socket.
const Readers = 2

// Listen serves NTP on addr ("127.0.0.1:0" picks a free port) until Close.
func Listen(addr string, r Reply) (*Responder, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	s := &Responder{conn: conn, reply: r}
	for range Readers {
		s.wg.Go(s.serve)
	}
	return s, nil
}

// Start serves NTP on a free loopback port until the test ends.
func Start(tb testing.TB, r Reply) *Responder {
	tb.Helper()
	s, err := Listen("127.0.0.1:0", r)
	if err != nil {
		tb.Fatalf("ntptest: listen: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Addr is the responder's host:port.
func (s *Responder) Addr() string { return s.conn.LocalAddr().String() }

// Queries is how many queries arrived so far.
func (s *Responder) Queries() int { return int(s.queries.Load()) }

// MaxHeld is the most replies held back by Reply.Delay at one time: with a
// delay longer than a query takes, the most queries in flight at once.
func (s *Responder) MaxHeld() int { return int(s.maxHeld.Load()) }

// Set changes how later queries are answered.
func (s *Responder) Set(r Reply) {
	s.mu.Lock()
	s.reply = r
	s.mu.Unlock()
}

// Close stops the responder and waits for its readers.
func (s *Responder) Close() error {
	err := s.conn.Close()
	s.wg.Wait()
	return err
}

const (
	packetSize = 48
	modeClient = 3
	modeServer = 4
)

// ntpEpochOffset is the seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const ntpEpochOffset = 2208988800

func (s *Responder) serve() {
	buf := make([]byte, 1024)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		recv := time.Now()
		if n < packetSize || buf[0]&7 != modeClient {
			continue
		}
		s.queries.Add(1)
		s.mu.Lock()
		r := s.reply
		s.mu.Unlock()
		if r.Fault == FaultSilent {
			continue
		}
		out := build(buf[:packetSize], recv, r)
		if r.Delay > 0 {
			n := s.held.Add(1)
			for m := s.maxHeld.Load(); n > m && !s.maxHeld.CompareAndSwap(m, n); m = s.maxHeld.Load() {
			}
			time.AfterFunc(r.Delay, func() {
				s.held.Add(-1) // before the reply, which frees the client to send again
				s.conn.WriteToUDPAddrPort(out, from)
			})
			continue
		}
		s.conn.WriteToUDPAddrPort(out, from)
	}
}

// build makes the reply to query q received at recv (RFC 5905 figure 8).
func build(q []byte, recv time.Time, r Reply) []byte {
	out := make([]byte, packetSize)
	version := (q[0] >> 3) & 7
	stratum := r.Stratum
	refid := r.RefID
	if r.Kiss != "" {
		stratum, refid = 0, r.Kiss
	} else if stratum == 0 {
		stratum = 1
	}
	if refid == "" {
		refid = "GPS"
	}
	leap := r.Leap
	if r.Unsynchronised {
		stratum, refid, leap = 0, "00000000", 3
	}
	mode := byte(modeServer)
	if r.Fault == FaultWrongMode {
		mode = modeClient
	}
	out[0] = leap<<6 | version<<3 | mode
	out[1] = stratum
	out[2] = 6                // poll: 64 s
	out[3] = byte(0x100 - 20) // precision: 2^-20 s, about 1 µs
	binary.BigEndian.PutUint32(out[4:], short(r.RootDelay))
	binary.BigEndian.PutUint32(out[8:], short(r.RootDispersion))
	binary.BigEndian.PutUint32(out[12:], refID(refid))
	age := r.ReferenceAge
	if age == 0 {
		age = time.Second
	}
	binary.BigEndian.PutUint64(out[16:], stamp(recv.Add(r.ClockOffset-age)))
	copy(out[24:32], q[40:48]) // origin = the query's transmit timestamp
	if r.Fault == FaultWrongOrigin {
		out[24] ^= 0xff
	}
	binary.BigEndian.PutUint64(out[32:], stamp(recv.Add(r.ClockOffset)))
	binary.BigEndian.PutUint64(out[40:], stamp(time.Now().Add(r.ClockOffset)))
	if r.Fault == FaultShort {
		return out[:12]
	}
	return out
}

// stamp is an NTP 64-bit timestamp: seconds since 1900 and a 32-bit fraction.
func stamp(t time.Time) uint64 {
	sec := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return sec<<32 | frac
}

// short is the NTP short format: 16-bit seconds, 16-bit fraction.
func short(d time.Duration) uint32 {
	return uint32(d.Seconds() * 65536)
}

// refID packs a reference ID: an IPv4 address, 8 hex digits, or up to four
// ASCII characters.
func refID(s string) uint32 {
	if ip := net.ParseIP(s).To4(); ip != nil {
		return binary.BigEndian.Uint32(ip)
	}
	if len(s) == 8 {
		var v uint32
		ok := true
		for _, c := range s {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | uint32(c-'0')
			case c >= 'A' && c <= 'F':
				v = v<<4 | uint32(c-'A'+10)
			default:
				ok = false
			}
		}
		if ok {
			return v
		}
	}
	var b [4]byte
	copy(b[:], s)
	return binary.BigEndian.Uint32(b[:])
}
