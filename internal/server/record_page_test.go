package server

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestRecordDuringPage: a round's Record does not wait for a page view.
// With a month of history at a 1 s interval in its file, the page renders
// again and again, its 30-day and 48-hour windows in turn (the first view
// fills the caches and the Allan deviation from all of the file, 0.3-0.5
// s; the first 48-hour view reads its 172,800 rounds, some 0.15 s), while
// rounds are recorded every 2 ms: each Record made while a view was in progress
// completes within 60 ms (480 ms under the race detector: raceSlowdown),
// room for a loaded CI machine (5-16 ms measured on 2 cores) and still a
// fraction of the view it would wait for whole.
// The store's lock is let go between chunks of 1,000 rows; before, a view
// held it throughout.
func TestRecordDuringPage(t *testing.T) {
	bound := 60 * time.Millisecond * raceSlowdown
	if runtime.GOARCH == "arm" || runtime.GOARCH == "arm64" {
		// CI runs this package's tests for ARM under qemu-user, which
		// emulates them some 8 times slower (68 ms measured); a Pi is
		// slower than a 2-core VM too.
		bound *= 8
	}
	end := time.Date(2026, 8, 30, 12, 0, 0, 0, time.UTC)
	store := monthStore(t, 30, time.Second, end)
	st := NewStateWith(store)
	rng := rand.New(rand.NewPCG(9, 10))
	st.Update(monthReport(end, rng, false))
	h := New(st, Options{})

	var views atomic.Int64 // views completed
	var viewing atomic.Bool
	stop := make(chan struct{})
	done := make(chan int) // the last view's status code
	go func() {
		code := 0
		for {
			select {
			case <-stop:
				done <- code
				return
			default:
			}
			viewing.Store(true)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?window="+[]string{"30d", "48h"}[views.Load()%2], nil))
			viewing.Store(false)
			code = rec.Code
			views.Add(1)
		}
	}()
	var during int
	var worst time.Duration
	deadline := time.Now().Add(time.Minute)
	for i := 1; views.Load() < 6 && time.Now().Before(deadline); i++ {
		r := monthReport(end.Add(time.Duration(i)*time.Second), rng, false)
		before := viewing.Load()
		t0 := time.Now()
		store.Record(r)
		took := time.Since(t0)
		if before && viewing.Load() {
			during++
			worst = max(worst, took)
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(stop)
	if code := <-done; code != http.StatusOK {
		t.Fatalf("the page answered %d", code)
	}
	t.Logf("%d views; %d Records during a view, the slowest took %s", views.Load(), during, worst)
	if views.Load() < 6 || during < 50 {
		t.Fatalf("%d views and %d Records during one: too few to tell", views.Load(), during)
	}
	if worst > bound {
		t.Errorf("a Record during a page view took %s, more than %s", worst, bound)
	}
}
