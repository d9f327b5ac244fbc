package history

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// benchReport is a chronyd report with three sources, as a stratum-1
// server with a PPS, a GPS and a network server has.
func benchReport() health.Report {
	r := report(t0, 1e-7)
	r.Daemon.Sources = []observe.Source{
		{Name: "PPS", SampleAge: observe.Seconds(1), Offset: 1e-7},
		{Name: "GPS", SampleAge: observe.Seconds(1), Offset: 0.061},
		{Name: "ntp1.example.net", SampleAge: observe.Seconds(20), Offset: 2e-4},
	}
	return r
}

// BenchmarkRecord is the cost of one round written to the file (budget:
// 100 µs, 2 KiB), minute aggregates and hourly pruning included, at the
// shortest interval and at the default one:
//
//	go test -run '^$' -bench BenchmarkRecord -benchmem ./internal/history/
func BenchmarkRecord(b *testing.B) {
	for _, interval := range []time.Duration{time.Second, 30 * time.Second} {
		b.Run("interval="+interval.String(), func(b *testing.B) {
			s := Open(b.TempDir(), Options{})
			defer s.Close()
			r := benchReport()
			// Start with 48 h of rounds, so that pruning runs as in a
			// daemon that has been up for days.
			start := t0
			for i := 0; i < int(RoundsKept/interval); i++ {
				r.Time = start.Add(time.Duration(i) * interval)
				s.Record(r)
			}
			next := start.Add(RoundsKept)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				r.Time = next.Add(time.Duration(i) * interval)
				if c, _ := s.Record(r); c.Status != health.OK {
					b.Fatal(c.Message)
				}
			}
		})
	}
}

// fill records days of history ending at end, at interval for the last 48
// h and one round a minute before (which makes the same minute rows as a
// full minute would, and is 60 times faster to write at 1 s).
func fill(tb testing.TB, s *Store, days int, interval time.Duration, sources int) time.Time {
	r := benchReport()
	for i := len(r.Daemon.Sources); i < sources; i++ {
		r.Daemon.Sources = append(r.Daemon.Sources, observe.Source{Name: fmt.Sprintf("ntp%d.example.net", i), SampleAge: observe.Seconds(30), Offset: 1e-4 * float64(i)})
	}
	end := t0.Add(time.Duration(days) * 24 * time.Hour)
	raw := end.Add(-RoundsKept)
	for t := t0; t.Before(raw); t = t.Add(time.Minute) {
		r.Time = t
		s.Record(r)
	}
	for t := raw; t.Before(end); t = t.Add(interval) {
		r.Time = t
		r.Daemon.Tracking.SystemOffset = float64(t.Unix()%97) * 1e-8
		s.Record(r)
	}
	return end
}

// fileSize is the size of the store's file and WAL.
func fileSize(tb testing.TB, dir string) int64 {
	var n int64
	for _, f := range []string{FileName, FileName + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// BenchmarkStoreSize measures the file (and WAL) after 30 and after 90
// days (the bound: nothing older is kept), at 1 s and 30 s, three sources;
// and the worst case, 90 days at 1 s with MaxSources sources:
//
//	go test -run '^$' -bench BenchmarkStoreSize -benchtime 1x ./internal/history/
func BenchmarkStoreSize(b *testing.B) {
	type size struct {
		interval      time.Duration
		days, sources int
	}
	for _, sz := range []size{{time.Second, 30, 3}, {time.Second, 90, 3}, {30 * time.Second, 30, 3}, {30 * time.Second, 90, 3}, {time.Second, 90, MaxSources}} {
		interval, days := sz.interval, sz.days
		{
			b.Run(fmt.Sprintf("interval=%s/days=%d/sources=%d", interval, days, sz.sources), func(b *testing.B) {
				for b.Loop() {
					dir := b.TempDir()
					s := Open(dir, Options{})
					fill(b, s, days, interval, sz.sources)
					r, m := s.Counts() // read from the file: before Close
					s.Close()          // checkpoints the WAL into the file
					b.ReportMetric(float64(fileSize(b, dir))/1e6, "MB")
					b.ReportMetric(float64(r), "rounds")
					b.ReportMetric(float64(m), "minutes")
				}
			})
		}
	}
}

// BenchmarkADEV is ADEV's computation from the file, as every
// adevRefresh (10 minutes) at most, of 30 days with the last 48 h at 1 s
// (its garbage, 10.3 MB in 0.61 million allocations a run, is what a
// daemon's heap grows by then; 119 ms a run, of which the computation
// proper, in.adev, takes some 3 ms and the rest is reading the file):
//
//	go test -run '^$' -bench BenchmarkADEV -benchmem -count 5 ./internal/history/
func BenchmarkADEV(b *testing.B) {
	s := Open(b.TempDir(), Options{})
	defer s.Close()
	fill(b, s, 30, time.Second, 3)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.mu.Lock()
		in := s.adevInputs()
		s.mu.Unlock()
		if rounds, minutes := in.adev(); len(rounds) == 0 || len(minutes) == 0 {
			b.Fatal("no ADEV")
		}
	}
}
