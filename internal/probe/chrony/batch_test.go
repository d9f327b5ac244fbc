package chrony

import (
	"encoding/binary"
	"os"
	"testing"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// fakeChronyd answers each request as soon as it is written, with the
// captured reply of a real chronyd to the same command (its sequence number
// set to the request's, as chronyd echoes it) and nSources as the count of
// sources. It records the requests in flight and when the probe stops
// writing to read.
type fakeChronyd struct {
	t         *testing.T
	replies   map[uint16][]byte // by command (candm.h CMD_Reply.command)
	nSources  uint32
	queue     [][]byte
	inflight  int
	most      int // requests in flight at most
	turns     int // times the probe went from writing to reading
	lastWrote bool
}

func newFakeChronyd(t *testing.T, nSources uint32) *fakeChronyd {
	f := &fakeChronyd{t: t, replies: map[uint16][]byte{}, nSources: nSources}
	for _, r := range splitReplies(loadReplies(t)) {
		cmd := binary.BigEndian.Uint16(r[4:])
		if _, ok := f.replies[cmd]; !ok {
			f.replies[cmd] = r
		}
	}
	for _, cmd := range []uint16{uint16(cmdTracking), uint16(cmdNSources), uint16(cmdSourceData), uint16(cmdSourceStats), uint16(cmdNTPSourceName)} {
		if f.replies[cmd] == nil {
			t.Fatalf("the capture holds no reply to command %d", cmd)
		}
	}
	return f
}

func (f *fakeChronyd) Write(b []byte) (int, error) {
	r := append([]byte(nil), f.replies[binary.BigEndian.Uint16(b[4:])]...)
	binary.BigEndian.PutUint32(r[16:], binary.BigEndian.Uint32(b[8:])) // the request's sequence
	if binary.BigEndian.Uint16(b[4:]) == uint16(cmdNSources) {
		binary.BigEndian.PutUint32(r[28:], f.nSources)
	}
	f.queue = append(f.queue, r)
	f.inflight++
	f.most = max(f.most, f.inflight)
	f.lastWrote = true
	return len(b), nil
}

func (f *fakeChronyd) Read(b []byte) (int, error) {
	if len(f.queue) == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	if f.lastWrote {
		f.turns++
		f.lastWrote = false
	}
	n := copy(b, f.queue[0])
	f.queue = f.queue[1:]
	f.inflight--
	return n, nil
}

// TestQueryBatches: a round waits for three round trips (tracking and the
// count; every source's data; every name and statistics), not for three
// per source, and never has more than window requests in flight.
func TestQueryBatches(t *testing.T) {
	for _, tc := range []struct {
		sources   uint32
		wantTurns int
	}{
		{4, 3},
		{1, 3},
		{0, 1},
		{100, 1 + 4 + 4}, // windows of 32: 100 data requests, then 100 statistics (the captured source is a refclock: no name)
	} {
		f := newFakeChronyd(t, tc.sources)
		var d observe.Daemon
		if err := query(f, &d); err != nil {
			t.Fatalf("%d sources: %v", tc.sources, err)
		}
		if got := len(d.Sources) + len(d.Unresolved); got != int(tc.sources) && tc.sources > 0 {
			t.Errorf("%d sources: read %d", tc.sources, got)
		}
		if f.turns != tc.wantTurns || f.most > window {
			t.Errorf("%d sources: %d round trips, at most %d requests in flight; want %d, at most %d", tc.sources, f.turns, f.most, tc.wantTurns, window)
		}
		for _, s := range d.Sources {
			if s.Mode != observe.ModeRefclock && s.Stats == nil {
				t.Errorf("%d sources: %s has no statistics", tc.sources, s.Name)
			}
		}
	}
}
