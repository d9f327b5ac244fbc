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
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
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
	dec := yaml.NewDecoder(bytes.NewReader(data))
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
