package history

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"modernc.org/sqlite"
)

// SQLite's primary result codes that decide what a failure means
// (https://sqlite.org/rescode.html).
const (
	codeCorrupt = 11 // SQLITE_CORRUPT
	codeFull    = 13 // SQLITE_FULL
	codeNotADB  = 26 // SQLITE_NOTADB
)

// schemaVersion is PRAGMA user_version of the file this code writes.
const schemaVersion = 1

// schema: one row per round (kept RoundsKept), one per minute (kept
// MinutesKept), and the source names the rows' sources blobs refer to.
const schema = `
CREATE TABLE IF NOT EXISTS rounds (
	t INTEGER PRIMARY KEY,   -- report time, Unix ns
	status INTEGER NOT NULL, -- 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
	offset_s REAL,           -- system offset, s (RFC 5905 sign); NULL: daemon did not answer
	max_error_s REAL,        -- |offset| + root delay/2 + root dispersion, s
	frequency_ppm REAL,
	skew_ppm REAL,
	sources BLOB             -- per source: uvarint id (table sources), float32 LE offset, s
);
CREATE TABLE IF NOT EXISTS minutes (
	t INTEGER PRIMARY KEY,   -- start of the minute, Unix s
	rounds INTEGER NOT NULL, valid INTEGER NOT NULL,
	worst INTEGER NOT NULL,  -- worst status of the minute
	offset_mean_s REAL, offset_min_s REAL, offset_max_s REAL,
	abs_offset_min_s REAL, abs_offset_max_s REAL, abs_offset_mean_s REAL, abs_offset_p99_s REAL,
	max_error_min_s REAL, max_error_max_s REAL, max_error_mean_s REAL, max_error_p99_s REAL,
	frequency_ppm REAL, skew_ppm REAL,
	sources BLOB             -- per source: uvarint id, float32 LE mean offset, s
);
CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
`

const (
	insertRound  = `INSERT OR REPLACE INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?)`
	insertMinute = `INSERT OR REPLACE INTO minutes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertName   = `INSERT OR REPLACE INTO sources VALUES (?, ?)`
)

// pruneEvery is how often (in round time) old rows are deleted.
const pruneEvery = time.Hour

// keepCorrupt is how many moved-aside files are kept; older ones go.
const keepCorrupt = 2

// disk is the store's file.
type disk struct {
	path   string
	db     *sql.DB
	conn   *sql.Conn // the one connection, with its pragmas
	ins    *sql.Stmt // insertRound
	insMin *sql.Stmt // insertMinute
	buf    []byte    // the sources blob being written
	args   []any     // the arguments being written

	// newNames are source IDs not yet written.
	newNames []uint16
	// failing is the error that stopped the writes; nil while they work.
	failing error
	since   time.Time // when failing began
	nextTry time.Time
	// unsavedRound and unsavedMinute are the oldest round (Unix ns) and
	// minute (Unix s) not written while failing; MaxInt64: none.
	unsavedRound, unsavedMinute int64
	lastPrune                   int64 // round time of the last prune, Unix ns
	size                        int64 // file size, refreshed at each minute
	moved                       string
	movedAt                     time.Time
	checked                     health.Check
	stale                       bool   // checked needs rebuilding
	readErr                     string // the last failed read, logged
	// gen counts the changes to the file's minutes and older rounds (a
	// write of minutes, a prune, an open, a close, a round older than the
	// newest, a failed read): the page's caches (cache.go) hold while it
	// stays the same.
	gen uint64
}

// Open returns a store that keeps its history in dir/FileName as well as
// in memory, and loads what the file holds. It never fails: a corrupt file
// is moved aside (logged, and named in the history check) and a fresh one
// started; a file that cannot be opened or written (no such directory, a
// full disk, another process holding it) leaves the store in memory with
// a WARNING history check, and the writes are tried again every
// Options.RetryEvery.
func Open(dir string, o Options) *Store {
	s := Memory()
	s.opts = o.withDefaults()
	d := &disk{path: filepath.Join(dir, FileName), unsavedRound: math.MaxInt64, unsavedMinute: math.MaxInt64, stale: true}
	s.disk = d
	if err := d.open(s, true); err != nil {
		d.fail(s, err)
	}
	return s
}

// open opens (creating) the file and, if load, reads it into the store. A
// corrupt file is moved aside and a fresh one opened.
func (d *disk) open(s *Store, load bool) error {
	err := d.tryOpen(s, load)
	if err != nil && isCorrupt(err) {
		d.close()
		d.moveAside(s, err)
		err = d.tryOpen(s, load)
	}
	if err != nil {
		d.close()
	}
	return err
}

// corruptError marks a file that is not a usable history.
type corruptError struct{ reason string }

func (e corruptError) Error() string { return e.reason }

func isCorrupt(err error) bool {
	var ce corruptError
	if errors.As(err, &ce) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == codeCorrupt || c == codeNotADB
	}
	return false
}

func isFull(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == codeFull
}

func (d *disk) tryOpen(s *Store, load bool) error {
	ctx := context.Background()
	d.gen++
	if err := os.MkdirAll(filepath.Dir(d.path), 0o700); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+d.path)
	if err != nil {
		return err
	}
	d.db = db
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	d.conn = conn
	// The order matters: EXCLUSIVE before the first WAL access keeps the
	// WAL index in memory (no -shm file to mmap, and a second daemon on
	// the same file is refused); NORMAL syncs at checkpoints, not at each
	// commit; the WAL is cut back to 4 MiB after each checkpoint. The page
	// cache is 512 KiB, not SQLite's 2 MiB: the queries read the whole
	// file, which would fill it, and scan as fast with the kernel's cache
	// behind a small one (a page's queries left 1.8 MB more RSS with 2
	// MiB, 0.4 MB with 512 KiB; BenchmarkPage30Days and BenchmarkRecord
	// the same within their noise).
	for _, p := range []string{"locking_mode = EXCLUSIVE", "journal_mode = WAL", "synchronous = NORMAL", "journal_size_limit = 4194304", "cache_size = -512"} {
		if _, err := conn.ExecContext(ctx, "PRAGMA "+p); err != nil {
			return fmt.Errorf("PRAGMA %s: %w", p, err)
		}
	}
	var check string
	if err := conn.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return err
	}
	if check != "ok" {
		return corruptError{"quick_check: " + check}
	}
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	switch version {
	case 0:
		if _, err := conn.ExecContext(ctx, schema+fmt.Sprintf("PRAGMA user_version = %d;", schemaVersion)); err != nil {
			return err
		}
	case schemaVersion:
	default:
		return corruptError{fmt.Sprintf("schema version %d, this ntphealth knows %d", version, schemaVersion)}
	}
	if d.ins, err = conn.PrepareContext(ctx, insertRound); err != nil {
		return err
	}
	if d.insMin, err = conn.PrepareContext(ctx, insertMinute); err != nil {
		return err
	}
	if load {
		if err := d.load(ctx, s); err != nil {
			return err
		}
	}
	d.refreshSize()
	return nil
}

// load reads the source names and the newest rounds (recentKept, and the
// open minute's) into the (empty) store, and aggregates the minutes a
// crash left without an aggregate.
func (d *disk) load(ctx context.Context, s *Store) error {
	rows, err := d.conn.QueryContext(ctx, "SELECT id, name FROM sources ORDER BY id")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return err
		}
		for int64(len(s.names)) < id { // a gap: never written, keep IDs aligned
			s.names = append(s.names, "?")
		}
		if int64(len(s.names)) == id && id < maxNames {
			s.names = append(s.names, name)
			s.ids[name] = uint16(id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var newest sql.NullInt64
	if err := d.conn.QueryRowContext(ctx, "SELECT max(t) FROM rounds").Scan(&newest); err != nil {
		return err
	}
	if !newest.Valid {
		return nil
	}
	s.open = minuteOf(newest.Int64)
	err = d.scanRounds(ctx, s, roundCols, min(newest.Int64-int64(recentKept), s.open*1e9), math.MaxInt64, func(r *Round) {
		r.Sources = slices.Clone(r.Sources)
		s.rounds = append(s.rounds, *r)
	})
	if err != nil {
		return err
	}
	// A kill between a round and its minute's aggregate leaves a minute
	// without one: make it now, from its rounds in the file.
	missing, err := d.conn.QueryContext(ctx, `SELECT DISTINCT t / 60000000000 * 60 AS m FROM rounds WHERE t >= ? AND t < ?
		EXCEPT SELECT t FROM minutes ORDER BY m`, max(newest.Int64-int64(RoundsKept), 0), s.open*1e9)
	if err != nil {
		return err
	}
	var ms []int64
	for missing.Next() {
		var m int64
		if err := missing.Scan(&m); err != nil {
			missing.Close()
			return err
		}
		ms = append(ms, m)
	}
	missing.Close()
	if err := missing.Err(); err != nil {
		return err
	}
	var rs []Round
	for _, m := range ms {
		rs = rs[:0]
		err := d.scanRounds(ctx, s, roundCols, m*1e9, (m+60)*1e9, func(r *Round) {
			r.Sources = slices.Clone(r.Sources)
			rs = append(rs, *r)
		})
		if err != nil {
			return err
		}
		if len(rs) > 0 {
			s.putMinute(aggregateRounds(m, rs))
		}
	}
	d.lastPrune = newest.Int64
	if len(s.minutes) > 0 {
		d.unsavedMinute = s.minutes[0].T
		if err := d.flush(s, false); err != nil {
			return err
		}
	}
	s.trim()
	return nil
}

// hasMinute says whether the minute starting at m (Unix s) is aggregated.
func (s *Store) hasMinute(m int64) bool {
	_, ok := slices.BinarySearchFunc(s.minutes, m, func(a Minute, t int64) int {
		switch {
		case a.T < t:
			return -1
		case a.T > t:
			return 1
		}
		return 0
	})
	if !ok && s.disk != nil {
		ok = s.disk.count(s, "SELECT count(*) FROM minutes WHERE t >= ? AND t <= ?", m, m) > 0
	}
	return ok
}

// save writes one round as its own transaction, or, while the writes
// fail, notes it for the next attempt. The minutes it closed are written
// once an hour (pruneEvery), in one transaction with the deletion of what
// fell out of the retention: until then they can be made again from the
// rounds, which are deleted only in that same transaction, so a kill loses
// none of them, and a round costs one small commit.
func (d *disk) save(s *Store, rd Round, minutes []Minute) {
	for _, m := range minutes {
		d.unsavedMinute = min(d.unsavedMinute, m.T)
	}
	if d.failing != nil {
		d.unsavedRound = min(d.unsavedRound, rd.T)
		if s.opts.Now().Before(d.nextTry) {
			return
		}
		d.retry(s)
		return
	}
	if err := d.write(s, &rd); err != nil {
		d.unsavedRound = min(d.unsavedRound, rd.T)
		d.handle(s, err)
		return
	}
	if rd.T-d.lastPrune >= int64(pruneEvery) || rd.T < d.lastPrune {
		if err := d.flush(s, true); err != nil {
			d.handle(s, err)
			return
		}
		d.lastPrune = rd.T
	}
}

// write stores new source names and a round, each statement a transaction
// of its own.
func (d *disk) write(s *Store, rd *Round) error {
	if d.conn == nil {
		return errors.New("history file not open")
	}
	ctx := context.Background()
	for len(d.newNames) > 0 {
		id := d.newNames[0]
		if _, err := d.conn.ExecContext(ctx, insertName, int64(id), s.names[id]); err != nil {
			return err
		}
		d.newNames = d.newNames[1:]
	}
	_, err := d.ins.ExecContext(ctx, d.roundArgs(rd)...)
	return err
}

func (d *disk) writeNames(ctx context.Context, tx *sql.Tx, s *Store) error {
	for _, id := range d.newNames {
		if _, err := tx.ExecContext(ctx, insertName, int64(id), s.names[id]); err != nil {
			return err
		}
	}
	return nil
}

// minuteArgs are insertMinute's arguments for m, in d.args; the blob
// reuses d.buf.
func (d *disk) minuteArgs(m *Minute) []any {
	a := append(d.args[:0], m.T, int64(m.Rounds), int64(m.Valid), int64(m.Worst))
	for _, v := range [...]float32{m.OffMean, m.OffMin, m.OffMax, m.AbsMin, m.AbsMax, m.AbsMean, m.AbsP99,
		m.ErrMin, m.ErrMax, m.ErrMean, m.ErrP99, m.Freq, m.Skew} {
		if m.Valid == 0 {
			a = append(a, nil)
		} else {
			a = append(a, float64(v))
		}
	}
	d.buf = encodeSources(d.buf[:0], m.Sources)
	if len(d.buf) > 0 {
		a = append(a, d.buf)
	} else {
		a = append(a, nil)
	}
	d.args = a
	return a
}

// roundArgs are insertRound's arguments for rd; the blob reuses d.buf.
func (d *disk) roundArgs(rd *Round) []any {
	if !rd.Valid {
		d.args = append(d.args[:0], rd.T, int64(rd.Status), nil, nil, nil, nil, nil)
		return d.args
	}
	var blob any
	if len(rd.Sources) > 0 {
		d.buf = encodeSources(d.buf[:0], rd.Sources)
		blob = d.buf
	}
	d.args = append(d.args[:0], rd.T, int64(rd.Status), rd.Offset, rd.MaxError, float64(rd.Frequency), float64(rd.Skew), blob)
	return d.args
}

// encodeSources appends (uvarint id, float32 LE offset) per source.
func encodeSources(b []byte, src []SourceOffset) []byte {
	for _, so := range src {
		b = binary.AppendUvarint(b, uint64(so.ID))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(so.Offset))
	}
	return b
}

// handle deals with a failed write: a corrupt file is moved aside and the
// history in memory written to a fresh one; anything else (a full disk, an
// I/O error) stops the writes until the next retry.
func (d *disk) handle(s *Store, err error) {
	if isCorrupt(err) {
		d.close()
		d.moveAside(s, err)
		if err = d.reopen(s); err == nil {
			return
		}
	}
	d.fail(s, err)
}

// reopen opens a fresh or reachable file again and writes everything in
// memory that it lacks.
func (d *disk) reopen(s *Store) error {
	if d.conn == nil {
		if err := d.open(s, false); err != nil {
			return err
		}
		// The file may be another one than before (moved aside, or never
		// created): write all that memory holds.
		d.unsavedRound, d.unsavedMinute = math.MinInt64, math.MinInt64
		d.newNames = d.newNames[:0]
		for i := range s.names {
			d.newNames = append(d.newNames, uint16(i))
		}
	}
	return d.flush(s, true)
}

// flush writes the rounds and minutes noted as unsaved, and with prune
// deletes what fell out of the retention, in one transaction.
func (d *disk) flush(s *Store, prune bool) error {
	ctx := context.Background()
	d.gen++
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := d.writeNames(ctx, tx, s); err != nil {
		return err
	}
	st := tx.StmtContext(ctx, d.ins)
	for i := range s.rounds {
		if s.rounds[i].T < d.unsavedRound {
			continue
		}
		if _, err := st.ExecContext(ctx, d.roundArgs(&s.rounds[i])...); err != nil {
			return err
		}
	}
	stm := tx.StmtContext(ctx, d.insMin)
	for i := range s.minutes {
		if s.minutes[i].T < d.unsavedMinute {
			continue
		}
		if _, err := stm.ExecContext(ctx, d.minuteArgs(&s.minutes[i])...); err != nil {
			return err
		}
	}
	if prune && len(s.rounds) > 0 {
		newest := s.rounds[len(s.rounds)-1].T
		if _, err := tx.ExecContext(ctx, "DELETE FROM rounds WHERE t < ?", newest-int64(RoundsKept)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM minutes WHERE t < ?", newest/1e9-int64(MinutesKept/time.Second)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	d.newNames = d.newNames[:0]
	d.unsavedRound, d.unsavedMinute = math.MaxInt64, math.MaxInt64
	d.refreshSize()
	return nil
}

// retry tries the writes again after a failure.
func (d *disk) retry(s *Store) {
	err := d.reopen(s)
	if err != nil && isCorrupt(err) {
		d.close()
		d.moveAside(s, err)
		err = d.reopen(s)
	}
	if err != nil {
		d.nextTry = s.opts.Now().Add(s.opts.RetryEvery)
		if err.Error() != d.failing.Error() {
			d.failing = err
			d.stale = true
		}
		return
	}
	s.opts.Logger.Info("history: writing to the file again; the rounds kept in memory meanwhile are saved",
		"file", d.path, "failed_since", d.since.UTC().Format(time.RFC3339))
	d.failing, d.stale = nil, true
}

// fail stops the writes: the history stays in memory, the check warns.
func (d *disk) fail(s *Store, err error) {
	now := s.opts.Now()
	if d.failing == nil {
		d.since = now
		s.opts.Logger.Warn("history: cannot write the file; keeping the history in memory only (lost on restart) and trying again",
			"file", d.path, "error", err.Error(), "retry_every", s.opts.RetryEvery.String())
	}
	d.failing, d.stale = err, true
	d.nextTry = now.Add(s.opts.RetryEvery)
	if len(s.rounds) > 0 {
		d.unsavedRound = min(d.unsavedRound, s.rounds[len(s.rounds)-1].T)
	}
}

// moveAside renames a corrupt file (and its WAL) out of the way, keeping
// the newest keepCorrupt such files.
func (d *disk) moveAside(s *Store, why error) {
	now := s.opts.Now()
	aside := d.path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	if err := os.Rename(d.path, aside); err != nil && !os.IsNotExist(err) {
		// Cannot rename: remove it, so that a fresh file can start.
		s.opts.Logger.Error("history: the file is corrupt and cannot be moved aside; removing it", "file", d.path, "error", err.Error())
		os.Remove(d.path)
		aside = "(removed)"
	}
	for _, ext := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Rename(d.path+ext, aside+ext); err != nil {
			os.Remove(d.path + ext)
		}
	}
	s.opts.Logger.Error("history: the file is corrupt; moved it aside and started a fresh one",
		"file", d.path, "moved_to", aside, "reason", why.Error())
	d.moved, d.movedAt, d.stale = aside, now, true
	old, _ := filepath.Glob(d.path + ".corrupt-*")
	var files []string
	for _, f := range old {
		if !strings.HasSuffix(f, "-wal") && !strings.HasSuffix(f, "-shm") && !strings.HasSuffix(f, "-journal") {
			files = append(files, f)
		}
	}
	slices.Sort(files) // the stamp sorts by time
	for len(files) > keepCorrupt {
		for _, ext := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(files[0] + ext)
		}
		files = files[1:]
	}
}

func (d *disk) close() error {
	var err error
	d.gen++
	for _, st := range []**sql.Stmt{&d.ins, &d.insMin} {
		if *st != nil {
			(*st).Close()
			*st = nil
		}
	}
	if d.conn != nil {
		err = d.conn.Close()
		d.conn = nil
	}
	if d.db != nil {
		if e := d.db.Close(); err == nil {
			err = e
		}
		d.db = nil
	}
	return err
}

// refreshSize notes the size of the file and its WAL.
func (d *disk) refreshSize() {
	var n int64
	for _, f := range []string{d.path, d.path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	if n != d.size {
		d.size, d.stale = n, true
	}
}

// check is the "history" check, rebuilt only when something changed.
func (d *disk) check(s *Store) health.Check {
	if !d.stale {
		return d.checked
	}
	d.stale = false
	c := health.Check{Name: "history", Status: health.OK}
	if d.failing != nil {
		c.Status = health.Warning
		why := d.failing.Error()
		if isFull(d.failing) {
			why = "the disk is full: " + why
		}
		c.Message = fmt.Sprintf("cannot write the history to %s (%s): kept in memory only since %s, lost on a restart; trying again every %s",
			d.path, why, d.since.UTC().Format("2006-01-02 15:04 UTC"), s.opts.RetryEvery)
	} else {
		c.Message = fmt.Sprintf("history kept in %s (%s): every round for %s, 1-minute aggregates for %d days",
			d.path, formatBytes(d.size), fmtHours(RoundsKept), int(MinutesKept.Hours()/24))
		if d.moved != "" {
			c.Message += fmt.Sprintf("; a corrupt file was moved aside to %s at %s", d.moved, d.movedAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
	}
	d.checked = c
	return c
}

func fmtHours(d time.Duration) string { return fmt.Sprintf("%.0f h", d.Hours()) }

// formatBytes prints a size as "12.3 MB" (SI).
func formatBytes(n int64) string {
	switch {
	case n < 1e3:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
