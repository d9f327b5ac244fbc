package history

import (
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// heapAlloc is the Go heap in use after two collections (the second
// empties sync.Pools' victim caches), bytes.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// pageQueries asks what the status page and GET /history ask, over the
// whole history: the 30-day and 48-hour charts, the percentile table and
// the Allan deviation.
func pageQueries(t *testing.T, s *Store) {
	t.Helper()
	_, newest, ok := s.Span()
	if !ok {
		t.Fatal("empty store")
	}
	month := s.Series(newest.Add(-30*24*time.Hour), newest.Add(1), 30*24*time.Hour/900)
	days2 := s.Series(newest.Add(-48*time.Hour), newest.Add(1), 48*time.Hour/900)
	if len(month.Points) < 800 || len(days2.Points) < 800 {
		t.Errorf("charts: %d and %d points, want some 900", len(month.Points), len(days2.Points))
	}
	ps := s.Percentiles(newest, []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour})
	if ps[1].Resolution != ResolutionRound || ps[1].Count < 86000 {
		t.Errorf("24 h percentiles: %+v", ps[1])
	}
	rounds, minutes := s.ADEV()
	if len(rounds) == 0 || rounds[0].Tau != 1 || len(minutes) == 0 || minutes[len(minutes)-1].Tau != 86400 {
		t.Errorf("ADEV: rounds %v, minutes %v", rounds, minutes)
	}
}

// TestHeapBounded fills a store with a file with 90 days of minutes and 48
// h of rounds at a 1 s interval from MaxSources sources, the worst case
// (before: the store held 34 MiB of it in memory), asks it what the page
// asks, and measures the Go heap it holds with the page's caches: under
// 3.75 MiB (the store 0.2 MiB, its caches under 4 MiB at worst: cache.go;
// 3.3 MiB measured, 4.4 MiB before the caches kept their rounds and
// minutes in columns and the minutes' p99s and maxima in tails).
func TestHeapBounded(t *testing.T) {
	const bound = 3.75 * (1 << 20) // bytes
	before := heapAlloc()
	s := Open(t.TempDir(), Options{})
	defer s.Close()
	start := time.Now()
	fill(t, s, 90, time.Second, MaxSources)
	filled := time.Since(start)
	if r, m := s.Counts(); r != int(RoundsKept/time.Second) || m < 129000 {
		t.Fatalf("%d rounds and %d minutes, want 172800 and some 129600", r, m)
	}
	pageQueries(t, s)
	held := int64(heapAlloc()) - int64(before)
	runtime.KeepAlive(s)
	t.Logf("filled in %s; heap held by the store: %d B (%.2f MiB); in memory: %d rounds, %d minutes",
		filled.Round(time.Millisecond), held, float64(held)/(1<<20), len(s.rounds), len(s.minutes))
	if held > bound {
		t.Errorf("the store holds %d B of heap, more than %.0f", held, bound)
	}
}

// TestHeapBoundedMemory: a memory-only store at a 1 s interval with
// MaxSources sources holds at most MemoryRoundsKept of rounds and
// MemoryMinutesKept of minutes: under 4.5 MiB (see MemoryRoundsKept).
func TestHeapBoundedMemory(t *testing.T) {
	const bound = 4.5 * (1 << 20) // bytes
	before := heapAlloc()
	s := Memory()
	fill(t, s, 30, time.Second, MaxSources)
	r, m := s.Counts()
	// The open minute is not counted.
	if r != int(MemoryRoundsKept/time.Second)+1 || m != int(MemoryMinutesKept/time.Minute)-1 {
		t.Errorf("%d rounds and %d minutes, want %d and %d", r, m, MemoryRoundsKept/time.Second+1, MemoryMinutesKept/time.Minute-1)
	}
	held := int64(heapAlloc()) - int64(before)
	runtime.KeepAlive(s)
	t.Logf("heap held by a memory-only store: %d B (%.2f MiB)", held, float64(held)/(1<<20))
	if held > bound {
		t.Errorf("the store holds %d B of heap, more than %.0f", held, bound)
	}
}

// TestMemorySizes: the sizes the bounds in history.go are computed from,
// on a 64-bit machine; a 32-bit one (a Pi Zero) lays them out smaller
// (Round 52 B, Minute 80 B: 4-byte slice headers and alignment), so the
// bounds hold there too.
func TestMemorySizes(t *testing.T) {
	r, m, so := unsafe.Sizeof(Round{}), unsafe.Sizeof(Minute{}), unsafe.Sizeof(SourceOffset{})
	if unsafe.Sizeof(uintptr(0)) == 8 && (r != 72 || m != 104 || so != 8) || r > 72 || m > 104 || so > 8 {
		t.Errorf("Round %d B, Minute %d B, SourceOffset %d B; history.go says 72, 104 and 8", r, m, so)
	}
}
