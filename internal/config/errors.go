package config

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ntphealth/ntphealth/internal/notify"
)

// Error is one problem in a config: where it is, which key, and what to do.
// Load, Parse and Validate join several with errors.Join; errors.As finds
// the first.
type Error struct {
	// Pos is "file:line", the file alone, a flag ("--interval"), or "".
	Pos string
	// Key is the key path, e.g. "checks.offset_warn" or "push[0].url"; "" for
	// the document itself.
	Key string
	// Msg says what is wrong and what to do; it never holds a token.
	Msg string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos != "" {
		b.WriteString(e.Pos)
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// errorList collects Errors and returns them scrubbed of secrets.
type errorList struct {
	errs []*Error
}

func (l *errorList) add(pos, key, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// join returns nil or every error joined, with each secret replaced by ****.
func (l *errorList) join(secrets []string) error {
	if len(l.errs) == 0 {
		return nil
	}
	// In file order: by line, errors without a line last.
	slices.SortStableFunc(l.errs, func(a, b *Error) int { return cmp.Compare(lineOf(a.Pos), lineOf(b.Pos)) })
	out := make([]error, len(l.errs))
	for i, e := range l.errs {
		e.Msg = scrub(e.Msg, secrets)
		e.Key = scrub(e.Key, secrets)
		out[i] = e
	}
	return errors.Join(out...)
}

// lineOf is the line number in a "file:line" position, or MaxInt.
func lineOf(pos string) int {
	i := strings.LastIndexByte(pos, ':')
	if i < 0 {
		return math.MaxInt
	}
	n, err := strconv.Atoi(pos[i+1:])
	if err != nil {
		return math.MaxInt
	}
	return n
}

// quote shows a value from the file inside a message: quoted, cut, and
// redacted when it looks like a URL (notify.Quote).
func quote(v string) string { return notify.Quote(v) }

// unknownKey words the error for a key the schema does not have, with the
// known keys and the closest one.
func unknownKey(key string, known []string) string {
	msg := fmt.Sprintf("unknown key %s (known keys: %s)", quote(key), strings.Join(known, ", "))
	if s := closest(key, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// closest returns the known key within edit distance 2 of key, or "".
func closest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes); long
// inputs are cut, since a key is short.
func editDistance(a, b string) int {
	if len(a) > 64 {
		a = a[:64]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
