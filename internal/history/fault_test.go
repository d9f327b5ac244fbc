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
