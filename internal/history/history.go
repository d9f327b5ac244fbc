// Package history keeps what the daemon saw, round by round, so that the
// status page and GET /history can show hours, days and months, and so that
// a restart loses nothing: every round for RoundsKept (48 h), then 1-minute
// aggregates for MinutesKept (90 days).
//
// With a directory (Open), the SQLite file there (FileName) is the
// history: every round is written to it as it comes, so that a restart, or
// a kill -9, finds it again, and the queries (Series, Count, Percentiles,
// ADEV, Rounds) read it on demand, a row at a time, folding the rows into
// their buckets as they come (ADEV, which reads it all, at most every
// adevRefresh). Memory keeps only the newest rounds (recentKept, 5 min:
// the open minute is aggregated from them), the minutes closed since the
// last hourly write, and the source names: under 1 MiB of Go heap whatever
// the age of the history (0.16 MiB after 90 days at a 1 s interval with
// MaxSources sources); and what the status page derives from the file,
// until it changes or goes unused for cacheIdle, 10 minutes (cache.go:
// under 4 MiB; TestHeapBounded: under 3.75 MiB in all). While the file
// cannot be written (a full disk), memory keeps what it lacks, within
// the memory-only bounds below, and writes it at the next retry; a
// failure longer than MemoryRoundsKept loses the older rounds' detail
// (their minutes stay). A file found corrupt while running is moved
// aside as at Open, and the fresh one starts from what memory holds (the
// last 5 minutes and what was not written): the older history stays in
// the moved-aside file.
//
// Without a directory (Memory), the history lives in memory only, for
// MemoryRoundsKept (1 h) of rounds and MemoryMinutesKept (7 days) of
// minutes: at most 4.5 MiB at a 1 s interval with MaxSources sources,
// about 2 MiB with three (see MemoryRoundsKept). The full 48 h and 90 days
// need a state directory.
//
// Why SQLite (modernc.org/sqlite, a pure-Go translation of SQLite: no cgo,
// so the ARM builds stay static) and not bbolt, the other pure-Go embedded
// store: measured on this project's 2-core VM, one round committed as its
// own transaction cost bbolt (NoSync) 40 µs and 17 KiB of Go heap (61
// allocations: a copy-on-write page set and a fresh 4 KiB meta page per
// commit), against SQLite's 54 µs and 200 B; the budget is 100 µs and 2
// KiB a round (BenchmarkRecord: 22-40 µs, 0.6-1.3 KiB with everything this
// store does). SQLite in WAL mode with synchronous=NORMAL commits by
// appending to its log, without an fsync per round (an SD card would not
// thank us for one every second), and a process killed at any point loses
// no committed round; a power cut may lose the rounds since the last
// checkpoint but leaves a consistent file. A damaged file is an error
// (SQLITE_CORRUPT, "file is not a database"), which Open and every write
// turn into moving it aside, where bbolt panics or faults on a bad page. A
// full disk is an ordinary error (SQLITE_FULL). And the file is readable
// with the sqlite3 shell (while the daemon is stopped: it holds the file
// with an exclusive lock).
//
// Size (BenchmarkStoreSize, three sources): 7.0 MB per 30 days and 20.1 MB
// at the 90-day bound at the default 30 s interval; 18.2 MB and 31.4 MB at
// a 1 s interval; 51.7 MB at 1 s with MaxSources sources, the worst case;
// plus at most 4 MiB of WAL. The bound holds because rounds
// older than 48 h and minutes older than 90 days are deleted every hour and
// SQLite reuses their pages; a round records at most MaxSources sources.
package history

import (
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Retention, and the bounds that make the store's size bounded.
const (
	// RoundsKept is how long every round is kept.
	RoundsKept = 48 * time.Hour
	// MinutesKept is how long the 1-minute aggregates are kept.
	MinutesKept = 90 * 24 * time.Hour
	// MaxSources is how many sources a round records (the first ones the
	// daemon lists, the selected one always); more are left out.
	MaxSources = 16
	// maxNames bounds the table of source names.
	maxNames = 4096
)

// Memory bounds. A round in memory takes 72 bytes and 8 per source, a
// minute 104 and 8 per source (TestMemorySizes): at a 1 s interval with
// MaxSources sources, 3,600 rounds of 200 B (0.7 MiB) and 10,080 minutes
// of 232 B (2.2 MiB), 2.9 MiB, plus the slices' spare capacity (trim
// copies a slice once half of it is dropped): under 4.5 MiB
// (TestHeapBoundedMemory measures 3.7 MiB). With three sources, 96 and 128
// B: 1.6 MiB, under 2.5 MiB with the spare capacity.
const (
	// MemoryRoundsKept is how long a memory-only store keeps every round,
	// and how long a store whose file cannot be written keeps the rounds
	// the file lacks.
	MemoryRoundsKept = time.Hour
	// MemoryMinutesKept is the same for the 1-minute aggregates.
	MemoryMinutesKept = 7 * 24 * time.Hour
	// recentKept is how long a store with a file keeps its newest rounds
	// in memory (besides those the file lacks): the open minute and a
	// little more.
	recentKept = 5 * time.Minute
)

// FileName is the store's file in its directory.
const FileName = "history.db"

// Round is what one report said about the clock.
type Round struct {
	// T is the report's time, Unix nanoseconds.
	T int64
	// Status is the report's verdict (before the history check).
	Status health.Status
	// Valid is false when the daemon did not answer: no offset then.
	Valid bool
	// Offset is the system clock's offset, seconds (RFC 5905 sign:
	// positive when the clock is behind); MaxError is |offset| + root
	// delay/2 + root dispersion, seconds.
	Offset, MaxError float64
	// Frequency and Skew are the daemon's, ppm.
	Frequency, Skew float32
	// Sources are the offsets of the sources that had a sample.
	Sources []SourceOffset
}

// SourceOffset is one source's last sample offset in a round, or its mean
// over a minute or a bucket; ID indexes the store's source names.
type SourceOffset struct {
	ID     uint16
	Offset float32
}

// Minute aggregates the rounds of one minute. Absolute values are of
// |offset|; every figure is over the valid rounds only.
type Minute struct {
	// T is the start of the minute, Unix seconds.
	T int64
	// Rounds counts the rounds in the minute, Valid those with an offset.
	Rounds, Valid uint16
	// Worst is the worst status of the minute's rounds.
	Worst health.Status
	// OffMean, OffMin and OffMax are of the signed offset, seconds.
	OffMean, OffMin, OffMax float32
	// AbsMin, AbsMax, AbsMean and AbsP99 are of |offset|, seconds.
	AbsMin, AbsMax, AbsMean, AbsP99 float32
	// ErrMin, ErrMax, ErrMean and ErrP99 are of the maximum error, seconds.
	ErrMin, ErrMax, ErrMean, ErrP99 float32
	// Freq and Skew are means, ppm.
	Freq, Skew float32
	// Sources are each source's mean offset over the minute.
	Sources []SourceOffset
}

// Options tunes Open.
type Options struct {
	// Logger receives the store's warnings (a file moved aside, a failed
	// write); default: discard.
	Logger *slog.Logger
	// RetryEvery is how long a store whose writes fail waits before it
	// tries again (default 5 min).
	RetryEvery time.Duration
	// Now is the clock that times the retries, and how long the page's
	// caches have gone unused (cacheIdle); default time.Now.
	Now func() time.Time
}

// Store is the history. It is safe for concurrent use: the check loop
// records, HTTP handlers read.
type Store struct {
	// mu serialises everything: the file has one connection, which the
	// queries read through too, a chunk at a time, letting mu go between
	// chunks (diskread.go), so that a Record never waits for a whole query.
	mu sync.Mutex
	// rounds are the newest rounds, sorted by T: within MemoryRoundsKept
	// of the newest without a file; with one, within recentKept, and
	// those the file lacks.
	rounds []Round
	// minutes are sorted by T: within MemoryMinutesKept of the newest
	// round without a file; with one, those the file lacks.
	minutes []Minute
	names   []string // source names by ID
	ids     map[string]uint16
	// open is the minute (Unix s) of the newest round, not yet aggregated;
	// -1 when there is no round.
	open int64

	disk *disk // nil: memory only
	opts Options
	// scratch holds the sources of a round or minute read from the file.
	scratch [MaxSources]SourceOffset
	// adevCache is ADEV's result, with a file.
	adevCache adevCache
	// cache is what the page's queries keep of the file's minutes.
	cache pageCache
	// cacheUsed is when (opts.Now) a query last used cache: a Record
	// cacheIdle later lets it go (dropIdleCache).
	cacheUsed time.Time
}

// Memory returns a store that keeps its history in memory only.
func Memory() *Store {
	return &Store{ids: map[string]uint16{}, open: -1, opts: Options{}.withDefaults()}
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RetryEvery <= 0 {
		o.RetryEvery = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Record keeps one report: in memory, and in the file when the store has
// a directory. It returns the "history" check (false for a memory-only
// store): OK while the file is written, WARNING while it cannot be (disk
// full, read-only, locked by another process), when the history lives in
// memory only until the writes succeed again. It never fails otherwise.
func (s *Store) Record(r health.Report) (health.Check, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rd := s.roundOf(r)
	if n := len(s.rounds); s.disk != nil && n > 0 && rd.T <= s.rounds[n-1].T {
		s.disk.gen++ // a stepped clock: the file's older rounds change
	}
	done := s.add(rd)
	if s.disk == nil {
		s.trim()
		return health.Check{}, false
	}
	s.disk.save(s, rd, done)
	s.trim()
	s.dropIdleCache()
	return s.disk.check(s), true
}

// roundOf turns a report into a round, registering new source names.
func (s *Store) roundOf(r health.Report) Round {
	rd := Round{T: r.Time.UnixNano(), Status: r.Status}
	d := r.Daemon
	if d == nil || d.Error != "" {
		return rd
	}
	t := d.Tracking
	rd.Valid = true
	rd.Offset, rd.MaxError = t.SystemOffset, t.MaxError()
	rd.Frequency, rd.Skew = float32(t.Frequency), float32(t.Skew)
	for _, src := range d.Sources {
		if src.SampleAge == nil || len(rd.Sources) == MaxSources {
			continue
		}
		id, ok := s.id(src.Label())
		if !ok {
			continue
		}
		if rd.Sources == nil {
			rd.Sources = make([]SourceOffset, 0, min(len(d.Sources), MaxSources))
		}
		rd.Sources = append(rd.Sources, SourceOffset{ID: id, Offset: float32(src.Offset)})
	}
	return rd
}

// id returns the ID of a source name, registering it; false once maxNames
// are taken.
func (s *Store) id(name string) (uint16, bool) {
	if id, ok := s.ids[name]; ok {
		return id, true
	}
	if len(s.names) >= maxNames {
		return 0, false
	}
	id := uint16(len(s.names))
	s.names = append(s.names, name)
	s.ids[name] = id
	if s.disk != nil {
		s.disk.newNames = append(s.disk.newNames, id)
	}
	return id, true
}

// add puts a round in memory and aggregates the minute it closes. It
// returns the minutes it aggregated.
func (s *Store) add(rd Round) []Minute {
	i := len(s.rounds)
	if i > 0 && s.rounds[i-1].T >= rd.T { // a stepped clock: keep the order
		i = sort.Search(len(s.rounds), func(k int) bool { return s.rounds[k].T >= rd.T })
		if i < len(s.rounds) && s.rounds[i].T == rd.T {
			s.rounds[i] = rd
		} else {
			s.rounds = slices.Insert(s.rounds, i, rd)
		}
	} else {
		s.rounds = append(s.rounds, rd)
	}
	var done []Minute
	m := minuteOf(rd.T)
	if s.open >= 0 && m != s.open {
		if agg, ok := s.aggregate(s.open); ok {
			s.putMinute(agg)
			done = append(done, agg)
		}
	}
	s.open = m
	return done
}

// minuteOf is the start of the minute of t (Unix ns), Unix seconds.
func minuteOf(t int64) int64 {
	sec := t / 1e9
	if t < 0 && t%1e9 != 0 {
		sec--
	}
	return sec - ((sec%60)+60)%60
}

// trim drops from memory what it need not keep: without a file, rounds
// and minutes older than MemoryRoundsKept and MemoryMinutesKept, counted
// from the newest round; with one, rounds older than recentKept and the
// minutes written, except what the file lacks (within those same bounds).
// The rounds of the open minute stay.
func (s *Store) trim() {
	if len(s.rounds) == 0 {
		return
	}
	newest := s.rounds[len(s.rounds)-1].T
	cut := newest - int64(MemoryRoundsKept)
	mcut := newest/1e9 - int64(MemoryMinutesKept/time.Second)
	if s.disk != nil {
		cut = max(cut, min(newest-int64(recentKept), s.disk.unsavedRound))
		mcut = max(mcut, s.disk.unsavedMinute)
	}
	cut = min(cut, s.open*1e9)
	k := sort.Search(len(s.rounds), func(i int) bool { return s.rounds[i].T >= cut })
	if k > 0 {
		if k > cap(s.rounds)/2 {
			s.rounds = append(make([]Round, 0, len(s.rounds)-k+len(s.rounds)/4+16), s.rounds[k:]...)
		} else {
			s.rounds = s.rounds[k:]
		}
	}
	k = sort.Search(len(s.minutes), func(i int) bool { return s.minutes[i].T >= mcut })
	switch {
	case k == len(s.minutes) && cap(s.minutes) > 64:
		s.minutes = nil // a long failure is over: give the memory back
	case k > 0 && k > cap(s.minutes)/2:
		s.minutes = append(make([]Minute, 0, len(s.minutes)-k+len(s.minutes)/4+16), s.minutes[k:]...)
	case k > 0:
		s.minutes = s.minutes[k:]
	}
}

// putMinute inserts or replaces a minute, keeping the order.
func (s *Store) putMinute(m Minute) {
	n := len(s.minutes)
	if n == 0 || s.minutes[n-1].T < m.T {
		s.minutes = append(s.minutes, m)
		return
	}
	i := sort.Search(n, func(k int) bool { return s.minutes[k].T >= m.T })
	if i < n && s.minutes[i].T == m.T {
		s.minutes[i] = m
		return
	}
	s.minutes = slices.Insert(s.minutes, i, m)
}

// roundsIn returns the rounds with from <= T < to (Unix ns), sharing memory.
func (s *Store) roundsIn(from, to int64) []Round {
	i := sort.Search(len(s.rounds), func(k int) bool { return s.rounds[k].T >= from })
	j := sort.Search(len(s.rounds), func(k int) bool { return s.rounds[k].T >= to })
	return s.rounds[i:j]
}

// aggregate computes the minute starting at m (Unix s) from the rounds in
// memory; false when none is there.
func (s *Store) aggregate(m int64) (Minute, bool) {
	rs := s.roundsIn(m*1e9, (m+60)*1e9)
	if len(rs) == 0 {
		return Minute{}, false
	}
	return aggregateRounds(m, rs), true
}

// aggregateRounds computes one minute's figures from its rounds.
func aggregateRounds(m int64, rs []Round) Minute {
	a := Minute{T: m, Rounds: uint16(min(len(rs), math.MaxUint16)), Worst: health.OK}
	var abs, errs [64]float64 // on the stack up to 64 rounds a minute (1 s interval)
	absV, errV := abs[:0], errs[:0]
	var offSum, absSum, errSum, freqSum, skewSum float64
	offMin, offMax := math.Inf(1), math.Inf(-1)
	var srcSum [MaxSources]float64
	var srcN [MaxSources]int
	var srcID [MaxSources]uint16
	nsrc := 0
	for _, r := range rs {
		a.Worst = health.Worse(a.Worst, r.Status)
		if !r.Valid {
			continue
		}
		absV = append(absV, math.Abs(r.Offset))
		errV = append(errV, r.MaxError)
		offSum += r.Offset
		offMin, offMax = min(offMin, r.Offset), max(offMax, r.Offset)
		absSum += math.Abs(r.Offset)
		errSum += r.MaxError
		freqSum += float64(r.Frequency)
		skewSum += float64(r.Skew)
		for _, so := range r.Sources {
			k := 0
			for k < nsrc && srcID[k] != so.ID {
				k++
			}
			if k == nsrc {
				if nsrc == MaxSources {
					continue
				}
				srcID[k] = so.ID
				nsrc++
			}
			srcSum[k] += float64(so.Offset)
			srcN[k]++
		}
	}
	n := len(absV)
	a.Valid = uint16(min(n, math.MaxUint16))
	if n == 0 {
		return a
	}
	fn := float64(n)
	slices.Sort(absV)
	slices.Sort(errV)
	a.OffMean, a.OffMin, a.OffMax = float32(offSum/fn), float32(offMin), float32(offMax)
	a.AbsMin, a.AbsMax, a.AbsMean, a.AbsP99 = float32(absV[0]), float32(absV[n-1]), float32(absSum/fn), float32(rank(absV, 0.99))
	a.ErrMin, a.ErrMax, a.ErrMean, a.ErrP99 = float32(errV[0]), float32(errV[n-1]), float32(errSum/fn), float32(rank(errV, 0.99))
	a.Freq, a.Skew = float32(freqSum/fn), float32(skewSum/fn)
	if nsrc > 0 {
		a.Sources = make([]SourceOffset, nsrc)
		for k := range nsrc {
			a.Sources[k] = SourceOffset{ID: srcID[k], Offset: float32(srcSum[k] / float64(srcN[k]))}
		}
	}
	return a
}

// rank is the nearest-rank percentile q (0 < q <= 1) of sorted values.
func rank(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Name returns a source's name by ID.
func (s *Store) name(id uint16) string {
	if int(id) < len(s.names) {
		return s.names[id]
	}
	return "?"
}

// Counts returns how many rounds and minutes the store holds, in memory
// and in its file.
func (s *Store) Counts() (rounds, minutes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rounds, minutes = len(s.rounds), len(s.minutes)
	if s.disk == nil || len(s.rounds) == 0 {
		return rounds, minutes
	}
	newest := s.rounds[len(s.rounds)-1].T
	rounds += int(s.disk.count(s, "SELECT count(*) FROM rounds WHERE t >= ? AND t < ?", newest-int64(RoundsKept), s.rounds[0].T))
	mhi := int64(math.MaxInt64) // the minutes in memory are newer than those in the file
	if len(s.minutes) > 0 {
		mhi = s.minutes[0].T
	}
	minutes += int(s.disk.count(s, "SELECT count(*) FROM minutes WHERE t >= ? AND t < ?", s.minuteFloor(), mhi))
	return rounds, minutes
}

// minuteFloor is the oldest minute kept (Unix s); call with rounds.
func (s *Store) minuteFloor() int64 {
	return s.rounds[len(s.rounds)-1].T/1e9 - int64(MinutesKept/time.Second)
}

// Path is the store's file; "" for a memory-only store.
func (s *Store) Path() string {
	if s.disk == nil {
		return ""
	}
	return s.disk.path
}

// Close writes nothing more and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disk == nil {
		return nil
	}
	return s.disk.close()
}
