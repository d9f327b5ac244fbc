package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// checkPush validates push[i] with notify's rules for its kind
// (notify.Settings.Problems), naming each problem by its key and line. It
// reads nothing: url_file and token_file were read by readSecrets.
func (c *Config) checkPush(l *errorList, i int) {
	p := c.Push[i]
	key := fmt.Sprintf("push[%d]", i)
	for _, f := range p.fileFields() {
		if f.value != "" && f.file != "" && f.from != f.file {
			c.bad(l, key+"."+f.name+"_file", "both %s and %s_file are set: keep one (%s_file keeps the token out of this file)", f.name, f.name, f.name)
		}
	}
	for _, pr := range p.Problems() {
		k, ok := p.blame(pr.Key)
		switch {
		case !ok:
			continue
		case k == "":
			k = key // New's own refusal: the target as a whole
		default:
			k = join(key, k)
		}
		c.bad(l, k, "%s", pr.Message)
	}
}

// fileField is a setting that may be read from a file.
type fileField struct{ name, value, file, from string }

// fileFields are url and token, with the file each names and was read from.
func (p Push) fileFields() []fileField {
	return []fileField{{"url", p.URL, p.URLFile, p.urlFrom}, {"token", p.Token, p.TokenFile, p.tokenFrom}}
}

// blame is the key that a problem with the setting key is named by: a
// value read from a file is blamed on its *_file key. False when the value
// is missing because its file could not be read: readSecrets said why.
func (p Push) blame(key string) (string, bool) {
	for _, f := range p.fileFields() {
		switch {
		case key != f.name:
		case f.value == "" && f.file != "":
			return "", false
		case f.from != "":
			return key + "_file", true
		}
	}
	return key, true
}

// readSecrets reads every push target's url_file and token_file into URL
// and Token, once, and warns about such a file that others can read. It is
// the only place the push settings touch a file; Validate does not.
func (c *Config) readSecrets(l *errorList) {
	for i := range c.Push {
		p := &c.Push[i]
		key := fmt.Sprintf("push[%d]", i)
		c.readSecretFile(l, key, "url", &p.URL, p.URLFile, &p.urlFrom)
		c.readSecretFile(l, key, "token", &p.Token, p.TokenFile, &p.tokenFrom)
	}
}

// readSecretFile reads a url_file or token_file into *dst; from remembers
// which file *dst came from. A value set both inline and by file is left
// for Validate to refuse.
func (c *Config) readSecretFile(l *errorList, key, field string, dst *string, file string, from *string) {
	if file == "" || (*dst != "" && *from != file) {
		return
	}
	fileKey := key + "." + field + "_file"
	path, err := expandCredentials(file)
	if err != nil {
		c.bad(l, fileKey, "%v", err)
		return
	}
	if !filepath.IsAbs(path) && c.File != "" {
		path = filepath.Join(filepath.Dir(c.File), path)
	}
	data, err := readSmall(path)
	if err != nil {
		c.bad(l, fileKey, "%v", err)
		return
	}
	v := strings.TrimSpace(string(data))
	switch {
	case v == "":
		if strings.Contains(file, EnvCredentialsDir) {
			c.bad(l, fileKey, "%s is empty: put the push %s in the file the unit loads this credential from (LoadCredential=; %s for %s in the shipped units)", path, field, PushURLFile, CredentialPushURL)
			return
		}
		c.bad(l, fileKey, "%s is empty: put the push %s in it", path, field)
		return
	case strings.ContainsAny(v, "\r\n"):
		c.bad(l, fileKey, "%s holds more than one line: put only the %s in it", path, field)
		return
	}
	*dst, *from = v, file
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o004 != 0 {
		c.warn(exposedSecretFile(path, fi.Mode(), fileKey))
	}
}
