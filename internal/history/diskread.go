package history

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/ntphealth/ntphealth/internal/health"
	"modernc.org/sqlite"
)

// The queries' reads of the file, through the store's one connection,
// under its lock, readChunk rows at a time: between two chunks the lock
// is let go (yield), so that a round's Record waits for one chunk (about
// 1 ms), not for a whole page. Rows reach Go through the aggregate
// function eachRow, which calls a Go function for each row: this costs a fifth of what
// database/sql's Rows and Scan cost a row (which lock the connection for
// each column). A round or minute handed to a callback is valid only
// during the call (its Sources are the store's scratch).
const (
	roundCols     = `t, status, offset_s, max_error_s, frequency_ppm, skew_ppm, sources`
	roundColsLean = `t, status, offset_s, max_error_s, NULL, NULL, NULL`
	minuteCols    = `t, rounds, valid, worst, offset_mean_s, offset_min_s, offset_max_s,
		abs_offset_min_s, abs_offset_max_s, abs_offset_mean_s, abs_offset_p99_s,
		max_error_min_s, max_error_max_s, max_error_mean_s, max_error_p99_s, frequency_ppm, skew_ppm, sources`
	// minuteColsADEV are what the Allan deviation reads.
	minuteColsADEV = `t, rounds, valid, worst, offset_mean_s, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`
	// minuteColsPct are what the percentiles read.
	minuteColsPct = `t, rounds, valid, worst, NULL, NULL, NULL, NULL, abs_offset_max_s, abs_offset_mean_s, abs_offset_p99_s,
		NULL, max_error_max_s, max_error_mean_s, max_error_p99_s, NULL, NULL, NULL`
)

// eachRowName is the SQL name of the row-callback aggregate.
const eachRowName = "ntphealth_each_row"

// readChunk is how many rows a query reads before it lets the lock go:
// 1,000 rows take about 1 ms (and 30-50 µs more a chunk to prepare).
const readChunk = 1000

// rowFuncs are the Go functions eachRow calls, by handle.
var rowFuncs sync.Map // int64 -> func([]driver.Value)

func init() {
	sqlite.MustRegisterFunction(eachRowName, &sqlite.FunctionImpl{
		NArgs:         -1,
		VolatileArgs:  true, // blobs are views, valid during the call
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) { return &eachRow{}, nil },
	})
}

// eachRow is the aggregate ntphealth_each_row(handle, columns...): it
// calls the function registered under handle with each row's columns.
type eachRow struct {
	f func([]driver.Value)
}

func (e *eachRow) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if e.f == nil {
		h, _ := args[0].(int64)
		f, ok := rowFuncs.Load(h)
		if !ok {
			return fmt.Errorf("%s: no function for handle %d", eachRowName, h)
		}
		e.f = f.(func([]driver.Value))
	}
	e.f(args[1:])
	return nil
}

func (e *eachRow) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New(eachRowName + " is not a window function")
}

func (e *eachRow) WindowValue(*sqlite.FunctionContext) (driver.Value, error) { return nil, nil }

func (e *eachRow) Final(*sqlite.FunctionContext) {}

// scan runs SELECT ntphealth_each_row(handle, cols) FROM table WHERE
// where, calling f for each row in the order of the table's primary key
// (t: the WHERE clauses bound t, so SQLite walks the table in t order).
func (d *disk) scan(ctx context.Context, cols, table, where string, f func([]driver.Value), args ...any) error {
	if d.conn == nil {
		return nil
	}
	// The smallest free handle: it is an argument of every row, and Go
	// boxes an int64 under 256 without allocating (a counter's handle
	// soon cost an allocation a row).
	h := int64(0)
	for _, taken := rowFuncs.LoadOrStore(h, f); taken; _, taken = rowFuncs.LoadOrStore(h, f) {
		h++
	}
	defer rowFuncs.Delete(h)
	var done any
	q := "SELECT " + eachRowName + "(?, " + cols + ") FROM " + table + " WHERE " + where
	return d.conn.QueryRowContext(ctx, q, append([]any{h}, args...)...).Scan(&done)
}

// chunkOf is the table of scan that reads at most readChunk rows with
// from <= t < to (the two arguments), oldest first.
func chunkOf(table string) string {
	return fmt.Sprintf("(SELECT * FROM %s WHERE t >= ? AND t < ? ORDER BY t LIMIT %d)", table, readChunk)
}

// yield lets the store's lock go for a moment, between two chunks of a
// read: a Record waiting for it takes it (sync.Mutex hands it over to a
// waiter of more than 1 ms).
func (s *Store) yield() {
	s.mu.Unlock()
	runtime.Gosched()
	s.mu.Lock()
}

func asFloat(v driver.Value) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func asInt(v driver.Value) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

// scanRounds calls f for each round with from <= t < to (Unix ns), oldest
// first, read with cols (roundCols or roundColsLean).
func (d *disk) scanRounds(ctx context.Context, s *Store, cols string, from, to int64, f func(r *Round)) error {
	return d.scanRoundsIn(ctx, s, cols, "rounds", "t >= ? AND t < ?", from, to, f)
}

// scanRoundsIn is scanRounds over table (rounds, or a chunkOf it) and
// where.
func (d *disk) scanRoundsIn(ctx context.Context, s *Store, cols, table, where string, from, to int64, f func(r *Round)) error {
	var r Round
	return d.scan(ctx, cols, table, where, func(v []driver.Value) {
		r.T, r.Status = asInt(v[0]), health.Status(asInt(v[1]))
		r.Offset, r.Valid = asFloat(v[2])
		r.MaxError, _ = asFloat(v[3])
		freq, _ := asFloat(v[4])
		skew, _ := asFloat(v[5])
		r.Frequency, r.Skew, r.Sources = float32(freq), float32(skew), nil
		if b, ok := v[6].([]byte); ok && r.Valid {
			r.Sources = decodeInto(s.scratch[:0], b)
		}
		f(&r)
	}, from, to)
}

// scanMinutes calls f for each minute with from <= t < to (Unix s),
// oldest first, read with cols (minuteCols or a leaner list).
func (d *disk) scanMinutes(ctx context.Context, s *Store, cols string, from, to int64, f func(m *Minute)) error {
	return d.scanMinutesIn(ctx, s, cols, "minutes", "t >= ? AND t < ?", from, to, f)
}

// scanMinutesIn is scanMinutes over table (minutes, or a chunkOf it) and
// where.
func (d *disk) scanMinutesIn(ctx context.Context, s *Store, cols, table, where string, from, to int64, f func(m *Minute)) error {
	var m Minute
	dst := [13]*float32{&m.OffMean, &m.OffMin, &m.OffMax, &m.AbsMin, &m.AbsMax, &m.AbsMean, &m.AbsP99,
		&m.ErrMin, &m.ErrMax, &m.ErrMean, &m.ErrP99, &m.Freq, &m.Skew}
	return d.scan(ctx, cols, table, where, func(v []driver.Value) {
		m.T, m.Rounds, m.Valid, m.Worst = asInt(v[0]), uint16(asInt(v[1])), uint16(asInt(v[2])), health.Status(asInt(v[3]))
		for i, p := range dst {
			x, _ := asFloat(v[4+i])
			*p = float32(x)
		}
		m.Sources = nil
		if b, ok := v[17].([]byte); ok {
			m.Sources = decodeInto(s.scratch[:0], b)
		}
		f(&m)
	}, from, to)
}

// readRounds calls f for each round in the file with from <= t < to (Unix
// ns), oldest first, readChunk at a time: the lock is let go between
// chunks (the store may change meanwhile). A failed read is logged; f has
// seen the rows before it.
func (d *disk) readRounds(s *Store, from, to int64, sources bool, f func(r *Round)) {
	cols := roundColsLean
	if sources {
		cols = roundCols
	}
	d.inChunks(s, from, to, func(from int64, seen func(t int64)) error {
		return d.scanRoundsIn(context.Background(), s, cols, chunkOf("rounds"), "1", from, to, func(r *Round) {
			seen(r.T)
			f(r)
		})
	})
}

// readMinutes calls f for each minute in the file with from <= t < to
// (Unix s), oldest first, read with cols, readChunk at a time as
// readRounds does.
func (d *disk) readMinutes(s *Store, cols string, from, to int64, f func(m *Minute)) {
	d.inChunks(s, from, to, func(from int64, seen func(t int64)) error {
		return d.scanMinutesIn(context.Background(), s, cols, chunkOf("minutes"), "1", from, to, func(m *Minute) {
			seen(m.T)
			f(m)
		})
	})
}

// inChunks reads [from, to) a chunk at a time: scan reads at most
// readChunk rows from its from on and reports each row's key to seen; the
// next chunk starts after the last key, and the store's lock is let go in
// between (s.yield). A failed read is logged and ends it.
func (d *disk) inChunks(s *Store, from, to int64, scan func(from int64, seen func(t int64)) error) {
	for from < to {
		n, last := 0, from
		if err := scan(from, func(t int64) { n, last = n+1, t }); err != nil {
			d.readFailed(s, err)
			return
		}
		if n < readChunk {
			return
		}
		from = last + 1
		s.yield()
	}
}

// count runs a query that returns one integer (count, min, max); 0 when it
// is NULL or the read fails.
func (d *disk) count(s *Store, query string, args ...any) int64 {
	n, _ := d.scalar(s, query, args...)
	return n
}

// scalar runs a query that returns one integer; false when it is NULL,
// the file is not open or the read fails.
func (d *disk) scalar(s *Store, query string, args ...any) (int64, bool) {
	if d.conn == nil {
		return 0, false
	}
	var n sql.NullInt64
	err := d.conn.QueryRowContext(context.Background(), query, args...).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false
	}
	if err != nil {
		d.readFailed(s, err)
		return 0, false
	}
	return n.Int64, n.Valid
}

// readFailed logs a failed read once per distinct error: the query answers
// with what it read, and the page's caches are made again.
func (d *disk) readFailed(s *Store, err error) {
	d.gen++ // what a cache read meanwhile lacks rows: it is not kept
	if err.Error() == d.readErr {
		return
	}
	d.readErr = err.Error()
	s.opts.Logger.Warn("history: cannot read the file; the answer lacks what it holds", "file", d.path, "error", d.readErr)
}

// decodeInto appends to dst (up to its capacity) the sources that
// encodeSources wrote; a damaged tail is dropped.
func decodeInto(dst []SourceOffset, b []byte) []SourceOffset {
	for len(b) > 0 && len(dst) < cap(dst) {
		id, n := binary.Uvarint(b)
		if n <= 0 || len(b) < n+4 || id >= maxNames {
			break
		}
		dst = append(dst, SourceOffset{ID: uint16(id), Offset: math.Float32frombits(binary.LittleEndian.Uint32(b[n:]))})
		b = b[n+4:]
	}
	return dst
}
