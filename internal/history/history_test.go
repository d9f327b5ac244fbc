package history

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// t0 is the time of the first synthetic round.
var t0 = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)

// report is a synthetic round at t: a PPS-disciplined chronyd with offset
// off and two sources; status WARNING when off > 1 ms; no answer when
// off is NaN.
func report(t time.Time, off float64) health.Report {
	r := health.Report{Time: t, Status: health.OK}
	if math.IsNaN(off) {
		r.Status = health.Critical
		r.Daemon = &observe.Daemon{Kind: "chrony", Error: "no answer"}
		return r
	}
	if math.Abs(off) > 1e-3 {
		r.Status = health.Warning
	}
	r.Daemon = &observe.Daemon{Kind: "chrony", Tracking: observe.Tracking{
		SystemOffset: off, RootDelay: 2e-6, RootDispersion: 1e-6, Frequency: -12.5, Skew: 0.05}}
	r.Daemon.Sources = []observe.Source{
		{Name: "PPS", SampleAge: observe.Seconds(1), Offset: off},
		{Name: "ntp1.example.net", SampleAge: observe.Seconds(20), Offset: off + 2e-4},
		{Name: "never", Offset: 5}, // no sample: not recorded
	}
	return r
}

// logBuffer collects a store's log.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func TestMemoryAggregates(t *testing.T) {
	s := Memory()
	// 10 minutes at 1 s; offsets 1..60 µs in each minute.
	for i := range 600 {
		s.Record(report(t0.Add(time.Duration(i)*time.Second), float64(i%60+1)*1e-6))
	}
	rounds, minutes := s.Counts()
	if rounds != 600 || minutes != 9 {
		t.Fatalf("%d rounds and %d minutes, want 600 and 9 (the 10th still open)", rounds, minutes)
	}
	m := s.minutes[0]
	if m.Rounds != 60 || m.Valid != 60 || m.Worst != health.OK {
		t.Errorf("minute: %+v", m)
	}
	near := func(name string, got float32, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > math.Abs(want)*1e-6 {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	near("AbsMin", m.AbsMin, 1e-6)
	near("AbsMax", m.AbsMax, 60e-6)
	near("AbsMean", m.AbsMean, 30.5e-6)
	near("AbsP99", m.AbsP99, 60e-6) // nearest rank: ceil(0.99*60) = 60th
	near("ErrMax", m.ErrMax, 60e-6+2e-6)
	near("Freq", m.Freq, -12.5)
	if len(m.Sources) != 2 || s.name(m.Sources[1].ID) != "ntp1.example.net" {
		t.Errorf("sources %+v", m.Sources)
	}
	// Series by minute and raw.
	raw := s.Series(t0, t0.Add(time.Hour), 0)
	if raw.Resolution != ResolutionRound || len(raw.Points) != 600 {
		t.Errorf("raw series: %s, %d points", raw.Resolution, len(raw.Points))
	}
	byMin := s.Series(t0, t0.Add(time.Hour), time.Minute)
	if len(byMin.Points) != 10 || byMin.Points[0].Rounds != 60 || math.Abs(byMin.Points[0].OffsetMax-60e-6) > 1e-12 {
		t.Errorf("by minute: %d points, first %+v", len(byMin.Points), byMin.Points[0])
	}
	if n, _ := s.Count(t0, t0.Add(time.Hour), time.Minute); n != 10 {
		t.Errorf("Count = %d, want 10", n)
	}
	p := s.Percentiles(t0.Add(10*time.Minute), []time.Duration{time.Hour})[0]
	if p.Resolution != ResolutionRound || p.Count != 600 || math.Abs(p.Abs[0]-30e-6) > 1e-12 || math.Abs(p.Abs[3]-60e-6) > 1e-12 {
		t.Errorf("percentiles %+v", p)
	}
}

// TestRetention: with a file, rounds go after 48 h and minutes after 90
// days; in memory only, after MemoryRoundsKept and MemoryMinutesKept. A
// range beyond the rounds is served from the minutes.
func TestRetention(t *testing.T) {
	for _, tc := range []struct {
		name            string
		open            func() *Store
		rounds, minutes time.Duration // kept
	}{
		{"file", func() *Store { return Open(t.TempDir(), Options{}) }, RoundsKept, MinutesKept},
		{"memory", Memory, MemoryRoundsKept, MemoryMinutesKept},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open()
			defer s.Close()
			start := t0
			// 100 days at 10 min intervals (the minutes), then 49 h at 30 s.
			for tm := start; tm.Before(start.Add(100 * 24 * time.Hour)); tm = tm.Add(10 * time.Minute) {
				s.Record(report(tm, 1e-6))
			}
			end := start.Add(100 * 24 * time.Hour)
			for tm := end; tm.Before(end.Add(49 * time.Hour)); tm = tm.Add(30 * time.Second) {
				s.Record(report(tm, 2e-6))
			}
			oldest, now, ok := s.Span()
			newest := now.UnixNano()
			first, _ := s.firstRound()
			if span := time.Duration(newest - first); !ok || span > tc.rounds || span < tc.rounds-30*time.Second {
				t.Errorf("rounds span %s, want %s (less one interval at most)", span, tc.rounds)
			}
			mfirst, _, _ := s.minuteSpan()
			if span := time.Duration(newest/1e9-mfirst) * time.Second; span > tc.minutes+time.Minute || span < tc.minutes-10*time.Minute {
				t.Errorf("minutes span %s, want %s (within a minute, and 10 min less at most)", span, tc.minutes)
			}
			if !oldest.Equal(time.Unix(mfirst, 0)) {
				t.Errorf("Span starts at %s, want the first minute %s", oldest, time.Unix(mfirst, 0))
			}
			days := min(tc.minutes, 30*24*time.Hour)
			month := s.Series(now.Add(-30*24*time.Hour), now, time.Hour)
			if want := int(days/time.Hour) - 1; month.Resolution != ResolutionMinute || len(month.Points) < want {
				t.Errorf("30 days: %s, %d points, want %d", month.Resolution, len(month.Points), want)
			}
			ps := s.Percentiles(now, []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour})
			if want := int(days/(10*time.Minute)) - 60; ps[0].Resolution != ResolutionRound || ps[3].Resolution != ResolutionMinute || ps[3].Count < want {
				t.Errorf("percentiles %+v, want %d rounds in 30 d", ps, want)
			}
			if ps[3].Covered < days-24*time.Hour {
				t.Errorf("30 d covered %s, want %s", ps[3].Covered, days)
			}
		})
	}
}

// TestOverlappingADEV checks the estimator against closed forms: a
// constant frequency offset (x linear in time) has ADEV 0; a constant
// drift x_i = c·i² has second differences 2c·m², so σ(τ) = √2·c·m/τ0; and
// a gap only removes terms.
func TestOverlappingADEV(t *testing.T) {
	lin := make([]float64, 1000)
	quad := make([]float64, 1000)
	const c, tau0 = 1e-9, 2.0
	for i := range lin {
		lin[i] = 3e-6 * float64(i)
		quad[i] = c * float64(i*i)
	}
	for _, p := range OverlappingADEV(lin, tau0, []int{1, 4, 16}) {
		if p.Dev > 1e-15 {
			t.Errorf("linear phase: ADEV(%g) = %g, want 0", p.Tau, p.Dev)
		}
	}
	quad[500] = math.NaN()
	for _, p := range OverlappingADEV(quad, tau0, []int{1, 4, 16, 499, 600}) {
		m := p.Tau / tau0
		want := math.Sqrt2 * c * m / tau0
		if math.Abs(p.Dev-want)/want > 1e-6 {
			t.Errorf("quadratic phase: ADEV(%g) = %g, want %g", p.Tau, p.Dev, want)
		}
		if m == 1 && p.Terms != 998-3 {
			t.Errorf("m=1: %d terms, want 995 (998 less the 3 that touch the gap)", p.Terms)
		}
		if m == 600 {
			t.Errorf("m=600 > N/2 must be left out")
		}
	}
	if got := octaves(1, 1_000_000); got[0] != 1 || got[len(got)-1] != 86400 {
		t.Errorf("octaves(1 s) = %v, want 1 ... 86400", got)
	}
}

// TestPersist: a store reopened finds its rounds, minutes and names; a
// minute left without its aggregate by a crash is made at open.
func TestPersist(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir, Options{})
	for i := range 200 {
		c, ok := s.Record(report(t0.Add(time.Duration(i)*time.Second), float64(i)*1e-7))
		if !ok || c.Status != health.OK || !strings.Contains(c.Message, filepath.Join(dir, FileName)) {
			t.Fatalf("round %d: history check %+v, %v", i, c, ok)
		}
	}
	wantR, wantM := s.Counts()
	before := s.Series(t0, t0.Add(time.Hour), 0)
	s.Close()

	// Drop one minute's aggregate, as a kill between the round and the
	// aggregate would.
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM minutes WHERE t = ?", t0.Unix()+60); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s2 := Open(dir, Options{})
	defer s2.Close()
	r, m := s2.Counts()
	if r != wantR || m != wantM {
		t.Errorf("reopened: %d rounds, %d minutes; want %d, %d", r, m, wantR, wantM)
	}
	after := s2.Series(t0, t0.Add(time.Hour), 0)
	if len(after.Points) != len(before.Points) {
		t.Fatalf("reopened: %d points, want %d", len(after.Points), len(before.Points))
	}
	for i := range after.Points {
		a, b := after.Points[i], before.Points[i]
		if a.Offset != b.Offset || !a.Time.Equal(b.Time) || len(a.Sources) != 2 || a.Sources[0].Name != "PPS" {
			t.Fatalf("point %d: %+v, want %+v", i, a, b)
		}
	}
	if !s2.hasMinute(t0.Unix() + 60) {
		t.Error("the minute without an aggregate was not aggregated at open")
	}
	// It goes on where it stopped, and the next minute closes.
	s2.Record(report(t0.Add(200*time.Second), 1e-6))
	s2.Record(report(t0.Add(240*time.Second), 1e-6))
	if _, m2 := s2.Counts(); m2 != wantM+1 {
		t.Errorf("%d minutes after two more rounds, want %d", m2, wantM+1)
	}
}

// TestCorruptFileMovedAside: garbage, and a damaged page in a real file,
// are moved aside with a log line and a fresh file starts; the check says
// so.
func TestCorruptFileMovedAside(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"not a database", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("garbage!"), 4096), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged pages", func(t *testing.T, path string) {
			s := Open(filepath.Dir(path), Options{})
			for i := range 3000 {
				s.Record(report(t0.Add(time.Duration(i)*time.Second), 1e-6))
			}
			s.Close()
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, _ := f.Stat()
			if fi.Size() < 5*4096 {
				t.Fatalf("file only %d bytes", fi.Size())
			}
			// Overwrite pages 3 and 4 (past the header and the schema).
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 2*4096), 2*4096); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			tc.damage(t, path)
			log, buf := logBuffer()
			s := Open(dir, Options{Logger: log})
			defer s.Close()
			if !strings.Contains(buf.String(), "the file is corrupt; moved it aside and started a fresh one") {
				t.Errorf("no log line for the corrupt file:\n%s", buf.String())
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) == 0 {
				t.Fatalf("nothing moved aside in %s", dir)
			}
			c, _ := s.Record(report(t0, 1e-6))
			if c.Status != health.OK || !strings.Contains(c.Message, "a corrupt file was moved aside to "+aside[0]) {
				t.Errorf("history check %+v", c)
			}
			s.Close()
			s2 := Open(dir, Options{})
			defer s2.Close()
			if r, _ := s2.Counts(); r != 1 {
				t.Errorf("the fresh file holds %d rounds, want 1", r)
			}
		})
	}
}

// TestCorruptKeepsTwo: repeated corruption keeps only the newest two
// moved-aside files, so they cannot fill the disk.
func TestCorruptKeepsTwo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	now := t0
	for range 4 {
		if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 8192), 0o600); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
		Open(dir, Options{Now: func() time.Time { return now }}).Close()
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != keepCorrupt {
		t.Errorf("moved-aside files: %v, want %d", aside, keepCorrupt)
	}
}

// TestUnwritableDirectory: a state directory that cannot be created leaves
// the store in memory with a WARNING, and it recovers when it can.
func TestUnwritableDirectory(t *testing.T) {
	parent := t.TempDir()
	blocker := filepath.Join(parent, "state")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil { // a file where the directory should be
		t.Fatal(err)
	}
	now := t0
	log, buf := logBuffer()
	s := Open(blocker, Options{Logger: log, Now: func() time.Time { return now }, RetryEvery: time.Minute})
	defer s.Close()
	c, ok := s.Record(report(now, 1e-6))
	if !ok || c.Status != health.Warning || !strings.Contains(c.Message, "kept in memory only") {
		t.Fatalf("history check %+v", c)
	}
	if !strings.Contains(buf.String(), "cannot write the file") {
		t.Errorf("no warning logged:\n%s", buf.String())
	}
	os.Remove(blocker)
	for i := 1; i <= 90; i++ {
		now = t0.Add(time.Duration(i) * time.Second)
		c, _ = s.Record(report(now, 1e-6))
	}
	if c.Status != health.OK {
		t.Fatalf("after the directory became possible and a retry: %+v", c)
	}
	s.Close()
	s2 := Open(blocker, Options{})
	defer s2.Close()
	if r, _ := s2.Counts(); r != 91 {
		t.Errorf("the file holds %d rounds, want all 91 kept in memory meanwhile", r)
	}
}

// openDB opens the store's file directly for a test.
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var check string
	if err := db.QueryRowContext(context.Background(), "PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("%s: quick_check %q, %v", path, check, err)
	}
	return db
}

// TestQuantiles compares selection with sorting on random, constant and
// sorted data.
func TestQuantiles(t *testing.T) {
	gen := map[string]func(i int) float64{
		"random":   func(i int) float64 { return math.Sin(float64(i)*12.9898) * 43758.5453 },
		"constant": func(int) float64 { return 7 },
		"sorted":   func(i int) float64 { return float64(i) },
		"reversed": func(i int) float64 { return -float64(i) },
		"few":      func(i int) float64 { return float64(i % 3) },
	}
	for name, f := range gen {
		for _, n := range []int{1, 2, 3, 10, 101, 1000} {
			v := make([]float64, n)
			for i := range v {
				v[i] = f(i)
			}
			sorted := slices.Clone(v)
			slices.Sort(sorted)
			got := quantiles(v, 0.5, 0.95, 0.99, 1)
			for i, q := range []float64{0.5, 0.95, 0.99, 1} {
				if want := rank(sorted, q); got[i] != want {
					t.Errorf("%s n=%d q=%g: %g, want %g", name, n, q, got[i], want)
				}
			}
		}
	}
}

// TestYoungStoreServesRounds: a store younger than 48 h answers from its
// rounds even once its first minute has closed (a minute's start lies
// before the first round in it).
func TestYoungStoreServesRounds(t *testing.T) {
	s := Memory()
	start := t0.Add(30 * time.Second)
	for i := range 100 {
		s.Record(report(start.Add(time.Duration(i)*time.Second), 1e-6))
	}
	got := s.Series(start.Add(-time.Hour), start.Add(time.Hour), 0)
	if got.Resolution != ResolutionRound || len(got.Points) != 100 {
		t.Errorf("%s, %d points; want every one of the 100 rounds", got.Resolution, len(got.Points))
	}
	if oldest, _, _ := s.Span(); !oldest.Equal(start) {
		t.Errorf("Span starts at %s, want the first round %s", oldest, start)
	}
}
