package history

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
)

// TestFileAnswersAsMemory: a store with a file, which reads its history
// from the file, answers exactly as a memory-only store fed the same
// rounds (3 days at one a minute, then 50 minutes at 1 s) wherever both
// hold the same (the memory-only one keeps 1 h of rounds, the other 48
// h): raw and bucketed series over the last hour's rounds and over the
// minutes, counts, percentiles, the Allan deviation of the minutes, the
// span and the newest rounds (from memory, and from the file beyond it).
func TestFileAnswersAsMemory(t *testing.T) {
	mem, file, rec := twinStores(t)
	start, raw := t0, t0.Add(3*24*time.Hour)
	end := raw.Add(50 * time.Minute)
	for tm := raw; tm.Before(end); tm = tm.Add(time.Second) {
		rec(tm, 1e-7*float64(tm.Unix()%97)-4e-6)
	}
	same := func(what string, a, b any) {
		t.Helper()
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the file store answers\n%+v\nthe memory store\n%+v", what, a, b)
		}
	}
	mo, mn, mok := mem.Span()
	fo, fn, fok := file.Span()
	same("Span", []any{fo, fn, fok}, []any{mo, mn, mok})
	for _, q := range []struct {
		from, to time.Time
		step     time.Duration
	}{
		{end.Add(-30 * time.Minute), end, 0},               // rounds, raw
		{end.Add(-45 * time.Minute), end, 7 * time.Second}, // rounds, bucketed
		{start, end, 0},                // minutes, raw, with the open minute
		{start, end, 17 * time.Minute}, // minutes, bucketed
		{start.Add(time.Hour), end.Add(-2 * time.Hour), 0},
		{start.Add(-time.Hour), end.Add(time.Hour), 24 * time.Hour},
	} {
		ms, fs := mem.Series(q.from, q.to, q.step), file.Series(q.from, q.to, q.step)
		if len(fs.Points) == 0 {
			t.Errorf("Series(%s, %s, %s): no points", q.from, q.to, q.step)
		}
		same("Series", fs, ms)
		mc, mr := mem.Count(q.from, q.to, q.step)
		fc, fr := file.Count(q.from, q.to, q.step)
		same("Count", []any{fc, fr}, []any{mc, mr})
	}
	windows := []time.Duration{10 * time.Minute, 45 * time.Minute, 7 * 24 * time.Hour}
	mp, fp := mem.Percentiles(end, windows), file.Percentiles(end, windows)
	if !reflect.DeepEqual(fmtPct(fp), fmtPct(mp)) { // NaN != NaN for DeepEqual
		t.Errorf("Percentiles: the file store answers\n%+v\nthe memory store\n%+v", fp, mp)
	}
	_, mm := mem.ADEV()
	_, fm := file.ADEV()
	if len(fm) == 0 {
		t.Error("ADEV: no point from the minutes")
	}
	same("ADEV minutes", fm, mm)
	same("Rounds(100)", file.Rounds(100), mem.Rounds(100))
	same("Rounds(1000)", file.Rounds(1000), mem.Rounds(1000)) // most of them from the file
}

// fmtPct prints percentiles so that NaNs compare equal.
func fmtPct(ps []Percentiles) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%+v", p))
	}
	return out
}

// twinStores returns a memory-only store, a store with a file, and rec,
// which records the same round in both; both are fed 3 days from t0 at
// one round a minute, a slow wave of offsets with no answer now and then.
func twinStores(t *testing.T) (mem, file *Store, rec func(tm time.Time, off float64)) {
	t.Helper()
	mem = Memory()
	file = Open(t.TempDir(), Options{})
	t.Cleanup(func() { file.Close() })
	rec = func(tm time.Time, off float64) {
		mem.Record(report(tm, off))
		file.Record(report(tm, off))
	}
	for tm := t0; tm.Before(t0.Add(3 * 24 * time.Hour)); tm = tm.Add(time.Minute) {
		off := 1e-6 * math.Sin(float64(tm.Unix())/5000)
		if tm.Unix()%7919 < 60 {
			off = math.NaN() // no answer now and then
		}
		rec(tm, off)
	}
	return mem, file, rec
}
