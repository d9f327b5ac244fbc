// Package deploy holds what installs ntphealth on a machine: the systemd
// units in systemd/ (the hardened agent ntphealth.service, and the
// ntphealth-check.timer + oneshot pair that replaces the shell script), the
// Debian maintainer scripts in debian/, and the .deb builder in debpkg/
// (`make deb`).
//
// The package has no Go API. Its tests check the units with
// systemd-analyze verify and security, and install the built .deb with dpkg.
package deploy
