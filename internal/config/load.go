package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds what Load and the *_file keys read (1 MiB): a config
// file is a few kilobytes, so anything larger is a mistake.
const maxFileSize = 1 << 20

// Load reads the config file at path: an absent file gives Default() and no
// error, so ntphealth runs with no config at all. Problems that do not stop
// ntphealth, such as a token in a file others can read, are in
// Config.Warnings for the caller to log.
func Load(path string) (Config, error) { return load(path, true) }

// Read is Load without the validation, for a caller that overrides keys
// first (ntphealth's flags) and then validates once, with Validate, which
// reports the same problems at the same file:line. Syntax errors, unknown
// keys and wrong types are still reported here.
func Read(path string) (Config, error) { return load(path, false) }

func load(path string, validate bool) (Config, error) {
	data, err := readSmall(path)
	if errors.Is(err, fs.ErrNotExist) {
		c := Default()
		return c, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := parse(data, path, validate)
	if err != nil {
		return Config{}, err
	}
	if fi, err := os.Stat(path); err == nil {
		if w := exposedSecret(path, fi.Mode(), c.inlineSecretKey()); w != "" {
			c.warn(w)
		}
	}
	return c, nil
}

// readSmall reads a regular file of at most maxFileSize bytes; the error
// says what to do. It looks before it opens, since opening a FIFO with no
// writer would block.
func readSmall(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: not a regular file (name a file, not a directory, pipe or device)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("read %s: %w (make it readable by the user ntphealth runs as)", path, unwrapPath(err))
		}
		return nil, fmt.Errorf("read %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	// Room for the whole file and for the read that finds its end: two
	// reads and one buffer, not one of each per doubling from 512 bytes.
	var b bytes.Buffer
	b.Grow(int(min(fi.Size(), maxFileSize)) + bytes.MinRead)
	if _, err := b.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	data := b.Bytes()
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes (is this the right file?)", path, maxFileSize)
	}
	return data, nil
}

// unwrapPath drops the *fs.PathError wrapper, whose message repeats the
// path: "read x: no such file or directory", not "read x: open x: ...".
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// yamlLine picks the line number out of a yaml.v3 syntax error
// ("yaml: line 3: mapping values are not allowed in this context"); compiled
// on first use, not at every start of a one-shot check.
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: (?:line (\d+): )?`) })

// Parse reads a config from data: it starts from Default(), overlays the
// file, reads the push url_file / token_file (the one step that does, once;
// relative paths are taken from filename's directory, $CREDENTIALS_DIRECTORY
// expanded), normalises and validates it, reporting every problem at once.
// filename is used in messages ("ntphealth.yaml:12: ..."). It never
// panics, whatever data holds. On error the Config is empty.
func Parse(data []byte, filename string) (Config, error) { return parse(data, filename, true) }

// parse is Parse; without validate it stops after the normalisation.
func parse(data []byte, filename string, validate bool) (c Config, err error) {
	c = Default()
	c.File = filename
	c.origins = map[string]string{}

	root, err := parseYAML(data, filename)
	if err != nil {
		return Config{}, err
	}
	if root != nil {
		d := decoder{file: filename, errs: &errorList{}, origins: c.origins}
		d.value(root, reflect.ValueOf(&c).Elem(), "")
		if err := d.errs.join(append(c.secrets(), d.secrets...)); err != nil {
			return Config{}, err
		}
	}
	var l errorList
	c.readSecrets(&l)
	c.Normalize()
	if validate {
		c.check(&l)
	}
	if err := l.join(c.secrets()); err != nil {
		return Config{}, err
	}
	return c, nil
}

// parseYAML returns the document's top node, or nil for an empty file.
func parseYAML(data []byte, filename string) (root *yaml.Node, err error) {
	// yaml.v3 is a port of libyaml; a panic inside it must not take
	// ntphealth down with it.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &Error{Pos: filename, Msg: "invalid YAML: the parser failed (check the file's syntax)"}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(withoutCommentText(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err, filename)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Pos: fmt.Sprintf("%s:%d", filename, extra.Line), Msg: "a second YAML document (after ---): keep one document per file"}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(err, filename)
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return nil, nil
}

// withoutCommentText is data with the text of each whole-line comment
// dropped and its '#' kept: every line is to YAML what it was, a comment or
// not, with its number. yaml.v3 keeps every comment's text, character by
// character, most of its work on a commented file such as the one the
// packages install (deploy/ntphealth.yaml: 9 kB, 1.4 kB without the text).
// A line that starts with '#' is text, not a comment, inside a block scalar
// (| or >) or a quoted value that goes on past its line: from the first
// line that could open one (a |, > or backslash, or a quote other than one
// value closed on its line: quotesClosed) on, data is kept as it is. So is data that yaml.v3
// would refuse for a character in it, or that holds a line break other
// than \n or \r\n (YAML 1.1's NEL, LS, PS or a lone \r).
func withoutCommentText(data []byte) []byte {
	for i, r := range string(data) {
		switch {
		case r == utf8.RuneError && !bytes.HasPrefix(data[i:], []byte("\uFFFD")): // not UTF-8: perhaps UTF-16
			return data
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f, r > 0x7f && r < 0xa0 && r != 0x85, r == 0xfffe || r == 0xffff:
			return data // yaml.v3 refuses it, with its line
		case r == 0x85 || r == 0x2028 || r == 0x2029:
			return data // a line break to yaml.v3
		case r == '\r' && (i+1 == len(data) || data[i+1] != '\n'):
			return data
		}
	}
	out := make([]byte, 0, len(data))
	for rest := data; len(rest) > 0; {
		line, after, found := bytes.Cut(rest, []byte{'\n'})
		text := bytes.TrimLeft(line, " \t")
		if len(text) > 0 && text[0] == '#' {
			out = append(out, line[:len(line)-len(text)+1]...)
			if bytes.HasSuffix(text, []byte{'\r'}) {
				out = append(out, '\r')
			}
		} else {
			if bytes.ContainsAny(line, "|>\\") || !quotesClosed(line) {
				return append(out, rest...)
			}
			out = append(out, line...)
		}
		if found {
			out = append(out, '\n')
		}
		rest = after
	}
	return out
}

// quotesClosed reports whether line holds no quote, or one quoted value
// that opens after "key: ", "- " or the indentation and closes on the
// line, followed by nothing or a comment (`a: "" # x`, `- 'it”s'`): a
// quote elsewhere may sit in a plain scalar (`0": "` opens a value at its
// second quote, not its first) and a value may go on past the line.
// Backslashes never reach it (withoutCommentText keeps the rest as is).
func quotesClosed(line []byte) bool {
	i := bytes.IndexAny(line, `"'`)
	if i < 0 {
		return true
	}
	if bytes.IndexByte(line, '"') >= 0 && bytes.IndexByte(line, '\'') >= 0 {
		return false // both kinds: kept as is, to be sure
	}
	before := bytes.TrimLeft(line[:i], " \t")
	if len(before) > 0 && !bytes.HasSuffix(before, []byte(": ")) && !bytes.HasSuffix(before, []byte("- ")) {
		return false
	}
	q, rest := line[i], line[i+1:]
	for {
		end := bytes.IndexByte(rest, q)
		if end < 0 {
			return false // it goes on
		}
		rest = rest[end+1:]
		if q == '\'' && len(rest) > 0 && rest[0] == '\'' {
			rest = rest[1:] // '' is a quote inside '...'
			continue
		}
		break
	}
	after := bytes.TrimLeft(rest, " \t\r")
	return len(after) == 0 || after[0] == '#' && len(after) < len(rest)
}

// syntaxError rewords a yaml.v3 error as "file:line: invalid YAML: ...".
func syntaxError(err error, filename string) error {
	msg := err.Error()
	pos := filename
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			pos = filename + ":" + m[1]
		}
		msg = msg[len(m[0]):]
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return &Error{Pos: pos, Msg: "invalid YAML: " + msg + " (check indentation and quoting)"}
}

// warn adds a warning once.
func (c *Config) warn(w string) {
	for _, have := range c.Warnings {
		if have == w {
			return
		}
	}
	c.Warnings = append(c.Warnings, w)
}
