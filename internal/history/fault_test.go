package history

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// TestFullDisk fills a 1 MiB tmpfs under a working store: the writes fail,
// the history check turns WARNING naming the full disk, every round is
// still kept in memory and served, nothing panics; once space is free
// again the next retry writes the rounds kept meanwhile, and a reopened
// file has them all.
func TestFullDisk(t *testing.T) {
	dir := testenv.TinyFS(t, 1<<20)
	now := t0
	log, buf := logBuffer()
	s := Open(dir, Options{Logger: log, Now: func() time.Time { return now }, RetryEvery: time.Minute})
	defer s.Close()
	n := 0
	record := func() health.Check {
		t.Helper()
		c, ok := s.Record(report(now, float64(n%50)*1e-7))
		if !ok {
			t.Fatal("no history check")
		}
		n++
		now = now.Add(time.Second)
		return c
	}
	for range 30 {
		if c := record(); c.Status != health.OK {
			t.Fatalf("round %d on an empty tmpfs: %+v", n, c)
		}
	}
	filler := testenv.Fill(t, dir)
	var c health.Check
	for range 200 {
		if c = record(); c.Status == health.Warning {
			break
		}
	}
	if c.Status != health.Warning || !strings.Contains(c.Message, "the disk is full") || !strings.Contains(c.Message, "kept in memory only") {
		t.Fatalf("after filling the disk, %d rounds: history check %+v", n, c)
	}
	t.Logf("full: %s", c.Message)
	if !strings.Contains(buf.String(), "cannot write the file") {
		t.Errorf("no warning logged:\n%s", buf.String())
	}
	for range 30 {
		record()
	}
	if r, _ := s.Counts(); r != n {
		t.Errorf("memory holds %d rounds, want all %d", r, n)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for range 61 { // past RetryEvery
		c = record()
	}
	if c.Status != health.OK {
		t.Fatalf("space freed, a retry due: history check %+v", c)
	}
	if !strings.Contains(buf.String(), "writing to the file again") {
		t.Errorf("no recovery logged:\n%s", buf.String())
	}
	s.Close()
	s2 := Open(dir, Options{})
	defer s2.Close()
	if r, _ := s2.Counts(); r != n {
		t.Errorf("reopened: %d rounds, want %d (none lost to the full disk)", r, n)
	}
}

// TestFailingDiskBounded: while the file cannot be written, memory keeps
// what it lacks for MemoryRoundsKept of rounds (and their minutes), no
// more; once it can, the file gets the last hour of rounds and every
// minute.
func TestFailingDiskBounded(t *testing.T) {
	parent := t.TempDir()
	blocker := parent + "/state"
	if err := os.WriteFile(blocker, nil, 0o600); err != nil { // a file where the directory should be
		t.Fatal(err)
	}
	now := t0
	s := Open(blocker, Options{Now: func() time.Time { return now }, RetryEvery: 3 * time.Hour})
	defer s.Close()
	const n = 2 * 3600 // 2 h at 1 s
	for i := range n {
		now = t0.Add(time.Duration(i) * time.Second)
		if c, _ := s.Record(report(now, 1e-6)); c.Status != health.Warning {
			t.Fatalf("round %d: history check %+v", i, c)
		}
	}
	r, m := s.Counts()
	if wantR := int(MemoryRoundsKept/time.Second) + 1; r != wantR || m != n/60-1 {
		t.Errorf("memory holds %d rounds and %d minutes, want %d and %d", r, m, wantR, n/60-1)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * time.Hour) // a retry is due
	if c, _ := s.Record(report(t0.Add(n*time.Second), 1e-6)); c.Status != health.OK {
		t.Fatalf("the directory can be made, a retry due: %+v", c)
	}
	if r := len(s.rounds); r > int(recentKept/time.Second)+60 {
		t.Errorf("memory still holds %d rounds once written", r)
	}
	s.Close()
	s2 := Open(blocker, Options{})
	defer s2.Close()
	if r, m := s2.Counts(); r != int(MemoryRoundsKept/time.Second)+2 || m != n/60 {
		t.Errorf("the file holds %d rounds and %d minutes, want %d and %d", r, m, MemoryRoundsKept/time.Second+2, n/60)
	}
}
