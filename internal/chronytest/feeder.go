package chronytest

import (
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The feeder sends at feedPhase past each second, and chronyd is started at
// startPhase, so its refclock polls (every second from its start) fall half
// a second away from the samples: each 1 s poll window then holds exactly
// one sample and reach does not flicker.
const (
	feedPhase  = 100 * time.Millisecond
	startPhase = 600 * time.Millisecond
)

// sockMagic marks a valid sample (refclock_sock.c SOCK_MAGIC, "SOCK").
const sockMagic = 0x534f434b

// sockSample is chrony's struct sock_sample (refclock_sock.c): 40 bytes,
// native byte order on amd64/arm64.
//
//	struct sock_sample { struct timeval tv; double offset; int pulse; int leap; int _pad; int magic; };
type sockSample struct {
	Sec    int64   // tv_sec: system time of the sample
	Usec   int64   // tv_usec
	Offset float64 // pulse 0: true time - system time, s; pulse 1: system - true
	Pulse  int32
	Leap   int32
	Pad    int32
	Magic  int32
}

// encode lays the sample out as chronyd reads it.
func (s sockSample) encode() []byte {
	b := make([]byte, 0, 40)
	b, _ = binary.Append(b, binary.NativeEndian, s)
	return b
}

// refclockPaths are the sockets chronyd binds for its SOCK refclocks.
type refclockPaths struct{ GPS, PPS string }

// feeder sends one GPS sample and one PPS pulse a second while on.
type feeder struct {
	paths  refclockPaths
	offset atomic.Int64 // time.Duration: true time - system time
	on     atomic.Bool
	quit   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

func newFeeder(paths refclockPaths, offset time.Duration) *feeder {
	f := &feeder{paths: paths, quit: make(chan struct{})}
	f.offset.Store(int64(offset))
	f.wg.Add(1)
	go f.run()
	return f
}

func (f *feeder) start()                    { f.on.Store(true) }
func (f *feeder) stop()                     { f.on.Store(false) }
func (f *feeder) setOffset(d time.Duration) { f.offset.Store(int64(d)) }

func (f *feeder) close() {
	f.once.Do(func() { close(f.quit) })
	f.wg.Wait()
}

func (f *feeder) run() {
	defer f.wg.Done()
	for {
		t := time.NewTimer(untilPhase(time.Now(), feedPhase))
		select {
		case <-f.quit:
			t.Stop()
			return
		case <-t.C:
		}
		if f.on.Load() {
			f.send()
		}
	}
}

// send delivers the GPS sample first: the PPS pulse is locked to it
// (chrony.conf(5) refclock "lock") and needs its latest sample.
func (f *feeder) send() {
	off := time.Duration(f.offset.Load()).Seconds()
	now := time.Now()
	tv := sockSample{Sec: now.Unix(), Usec: int64(now.Nanosecond() / 1000), Magic: sockMagic}
	gps := tv
	gps.Offset = off
	pps := tv
	pps.Pulse = 1
	pps.Offset = -off
	// Errors are expected while chronyd is down or restarting: the socket
	// is then missing and the sample is lost, as from a real receiver.
	sendTo(f.paths.GPS, gps.encode())
	sendTo(f.paths.PPS, pps.encode())
}

func sendTo(path string, b []byte) {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	conn.Write(b)
}

// untilPhase is how long from now until the next instant that is phase past
// a whole second.
func untilPhase(now time.Time, phase time.Duration) time.Duration {
	frac := time.Duration(now.Nanosecond())
	d := phase - frac
	if d <= 0 {
		d += time.Second
	}
	return d
}

// waitPhase sleeps until phase past the next whole second.
func waitPhase(phase time.Duration) { time.Sleep(untilPhase(time.Now(), phase)) }
