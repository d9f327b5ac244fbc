// Package server is the daemon's HTTP side: /health, /metrics and the status
// page. It only renders what the check loop hands it (State.Update,
// State.RecordPush); no request ever reaches a time daemon.
package server

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/history"
)

// DefaultHistorySize is how many rounds History returns when NewState is
// given a size < 1: 2880 rounds, 24 hours at the default 30 s interval.
const DefaultHistorySize = 2880

// Sample is one point of the chart: what one report said about the clock.
type Sample struct {
	Time   time.Time
	Status health.Status
	// Valid is false when the report carried no tracking data (the daemon
	// did not answer); Offset and MaxError are zero then.
	Valid bool
	// Offset is the system clock's offset, seconds (observe.Tracking.SystemOffset).
	Offset float64
	// MaxError is |offset| + root delay/2 + root dispersion, seconds.
	MaxError float64
}

// PushStats counts the pushes the check loop reported through RecordPush.
type PushStats struct {
	Success, Failure uint64
	// LastSuccess is when a push last succeeded; zero if none has.
	LastSuccess time.Time
	// Last are the results of the most recent RecordPush call.
	Last []health.PushResult
}

// State holds what the daemon knows: the latest report, its history (a
// history.Store: rounds for 48 h and minutes for 90 days in its file, 1 h
// and 7 days without one) and push counters. It is safe for concurrent
// use; the check loop calls Update and RecordPush while HTTP handlers read.
type State struct {
	mu     sync.RWMutex
	latest health.Report
	body   []byte // json.Marshal(latest) for /health, made at its first request after a change; nil until then
	has    bool
	push   PushStats
	hist   *history.Store
	feed   bool // Update records into hist (NewState); else the daemon does
	keep   int  // History's length
	// gen counts the changes (Update, RecordPush): /metrics rebuilds its
	// text only when it moved.
	gen uint64
}

// NewState returns an empty State with a memory-only history that Update
// feeds; History returns its last historySize rounds (DefaultHistorySize
// when historySize < 1).
func NewState(historySize int) *State {
	if historySize < 1 {
		historySize = DefaultHistorySize
	}
	return &State{hist: history.Memory(), feed: true, keep: historySize}
}

// NewStateWith returns an empty State that shows h, which the daemon
// records into (daemon.Daemon.History): Update does not.
func NewStateWith(h *history.Store) *State {
	return &State{hist: h, keep: DefaultHistorySize}
}

// Store is the state's history.
func (s *State) Store() *history.Store { return s.hist }

// Update makes r the latest report (and, for NewState, records it in the
// history). The report is kept as is: the caller must not modify it
// afterwards.
func (s *State) Update(r health.Report) {
	if s.feed {
		s.hist.Record(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(r.Push) == 0 {
		// The daemon pushes beside the checks: /health shows the latest
		// push round, whichever report it carried.
		r.Push = s.push.Last
	}
	s.latest, s.has = r, true
	s.gen++
	s.body = nil
}

// RecordPush counts one round of pushes: each result is a success or a
// failure. The results are kept as given (targets are already redacted by
// the notifier) and shown on the status page.
func (s *State) RecordPush(results []health.PushResult) {
	kept := append([]health.PushResult(nil), results...)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range results {
		if !r.OK {
			s.push.Failure++
			continue
		}
		s.push.Success++
		if r.Time.After(s.push.LastSuccess) {
			s.push.LastSuccess = r.Time
		}
	}
	s.push.Last = kept
	s.gen++
	if s.has {
		s.latest.Push = kept
		s.body = nil
	}
}

// generation is the number of changes so far: Update and RecordPush each
// add one.
func (s *State) generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// Latest returns the latest report; false before the first Update.
func (s *State) Latest() (health.Report, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.latest, s.has
}

// latestJSON returns the latest report and its JSON encoding (nil if the
// encoding failed); false before the first Update. The encoding is made at
// the first call after a change and kept for the next ones: a round that
// nobody asks /health about costs no JSON, and one that is asked about
// many times costs it once.
func (s *State) latestJSON() (health.Report, []byte, bool) {
	s.mu.RLock()
	r, body, has, gen := s.latest, s.body, s.has, s.gen
	s.mu.RUnlock()
	if !has || body != nil {
		return r, body, has
	}
	body, err := json.Marshal(r)
	if err != nil {
		return r, nil, true
	}
	s.mu.Lock()
	if s.gen == gen {
		s.body = body
	}
	s.mu.Unlock()
	return r, body, true
}

// History returns the newest rounds (at most NewState's historySize),
// oldest first, in a new slice.
func (s *State) History() []Sample {
	rs := s.hist.Rounds(s.keep)
	out := make([]Sample, len(rs))
	for i, r := range rs {
		out[i] = Sample{Time: time.Unix(0, r.T), Status: r.Status, Valid: r.Valid, Offset: r.Offset, MaxError: r.MaxError}
	}
	return out
}

// Push returns the push counters and the last results.
func (s *State) Push() PushStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.push
	p.Last = append([]health.PushResult(nil), p.Last...)
	return p
}
