//go:build !lean

package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/ntphealth/ntphealth/internal/history"
)

// stateDir is where the history lives: the state_dir key or --state-dir
// when set, else $STATE_DIRECTORY (systemd's StateDirectory=ntphealth sets
// it to /var/lib/ntphealth; the first of a colon-separated list), else ""
// (memory only); "off" is memory only whatever the environment says.
func stateDir(configured string) string {
	switch configured {
	case "off":
		return ""
	case "":
		dir, _, _ := strings.Cut(os.Getenv("STATE_DIRECTORY"), ":")
		return dir
	}
	return configured
}

// openHistory opens the history in the state directory, or in memory only;
// it never fails (see history.Open).
func openHistory(configured string, logger *slog.Logger) *history.Store {
	dir := stateDir(configured)
	if dir == "" {
		logger.Info("history kept in memory only: set state_dir (or run under the unit, StateDirectory=) to keep it across restarts")
		return history.Memory()
	}
	h := history.Open(dir, history.Options{Logger: logger})
	rounds, minutes := h.Counts()
	logger.Info("history opened", "file", h.Path(), "rounds", rounds, "minutes", minutes)
	return h
}
