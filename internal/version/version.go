// Package version holds chainctl's version, stamped at build time.
package version

import "runtime/debug"

// Version is set by the Makefile with -ldflags "-X ...version.Version=...".
var Version = ""

// String returns the stamped version, else the module version, else "dev".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
