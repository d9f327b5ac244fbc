package config

import "fmt"

// EnvPushURL is the environment variable the command layer reads a push URL
// from (so a token can come from a systemd credential or an env file).
const EnvPushURL = "NTPHEALTH_PUSH_URL"

// SetOrigin records where key's value now comes from, so that Validate names
// the flag or variable instead of the file line: after
// c.Interval = *flagInterval, call c.SetOrigin("interval", "--interval").
func (c *Config) SetOrigin(key, origin string) {
	if c.origins == nil {
		c.origins = map[string]string{}
	}
	c.origins[key] = origin
}

// SetPushURL applies a push URL given outside the file (--push-url or
// NTPHEALTH_PUSH_URL; origin names which): with no push target it adds a
// Kuma target with the defaults; with exactly one it replaces that
// target's URL (and url_file); with several it adds a Kuma target. Call
// Validate afterwards.
func (c *Config) SetPushURL(url, origin string) {
	i := len(c.Push)
	if i == 1 {
		i = 0
		c.Push[0].URL, c.Push[0].URLFile, c.Push[0].urlFrom = url, "", ""
	} else {
		c.Push = append(c.Push, DefaultPush())
		c.Push[i].URL = url
	}
	c.SetOrigin(fmt.Sprintf("push[%d]", i), origin)
	c.SetOrigin(fmt.Sprintf("push[%d].url", i), origin)
}
