package server

import (
	"net/http"
	"time"
)

// NewServer wraps h in an http.Server listening on addr with every timeout
// set, so a slow or idle client cannot hold a connection forever, and
// request headers capped at 64 KiB.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
