package main

// Every pluggable source of truth (internal/source), registered from init.
import _ "github.com/ntphealth/ntphealth/internal/source/all"
