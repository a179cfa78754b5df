// Tests of the project lock: a second holder is refused and named, other engines are not blocked, a dead holder reads as abandoned.

package lock

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestSecondAcquireFailsNamingTheHolder(t *testing.T) {
	dir := DefaultDir(t.TempDir())
	project := "locktest-" + strconv.Itoa(os.Getpid())
	l, err := Acquire(dir, "unix:///test.sock", project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release() })
	_, err = Acquire(dir, "unix:///test.sock", project)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("second Acquire: err = %v, want ErrBusy", err)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error %q does not name the holder's pid", err)
	}
	other, err := Acquire(dir, "unix:///other.sock", project)
	if err != nil {
		t.Fatalf("same project on another engine must not be blocked: %v", err)
	}
	other.Release()
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir, "unix:///test.sock", project)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if again.Abandoned {
		t.Error("a cleanly released lock reads as abandoned")
	}
	// A holder that dies leaves its pid behind: simulate by closing the
	// file without Release (the kernel drops the flock, as on SIGKILL).
	again.f.Close()
	next, err := Acquire(dir, "unix:///test.sock", project)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Release()
	if !next.Abandoned {
		t.Error("a lock whose holder died does not read as abandoned")
	}
}
