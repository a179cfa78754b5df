// Package lock keeps two chainctl processes on one machine from changing the
// same project at once (compose#2120: two ups of one project race and make
// duplicates). It is an advisory flock on a file named after the engine and
// the project; the kernel drops it when the process dies, even on SIGKILL.
package lock

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrBusy is wrapped by the error Acquire returns when another process
// holds the lock.
var ErrBusy = errors.New("busy")

// Lock is a held project lock.
type Lock struct {
	f *os.File
	// Abandoned is set when the previous holder died holding the lock
	// (its pid was still in the file): its engine calls may still land.
	Abandoned bool
}

// DefaultDir is where the lock files live under the temporary directory
// tmp: the caller passes os.TempDir(), so this package reads no
// environment ($TMPDIR).
func DefaultDir(tmp string) string {
	return filepath.Join(tmp, "chainctl-locks")
}

// Acquire takes the lock for project on the engine at daemonHost without
// waiting: a second chainctl fails at once and names the holder's pid.
// The lock file is in dir (DefaultDir(os.TempDir()) for chainctl), made if
// it does not exist.
func Acquire(dir, daemonHost, project string) (*Lock, error) {
	if dir == "" {
		return nil, errors.New("lock dir: none given (chainctl passes lock.DefaultDir(os.TempDir()))")
	}
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		return nil, fmt.Errorf("lock dir: %w", err)
	}
	sum := sha256.Sum256([]byte(daemonHost))
	path := filepath.Join(dir, project+"-"+hex.EncodeToString(sum[:6])+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("project %s is being changed by another chainctl (pid %s): %w", project, pid, ErrBusy)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	abandoned := readPID(f) != "unknown"
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f, Abandoned: abandoned}, nil
}

func readPID(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if pid := strings.TrimSpace(string(b[:n])); pid != "" {
		return pid
	}
	return "unknown"
}

// Release drops the lock. The file stays: removing it would race with a
// process that opened it but has not locked it yet.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// An empty file tells the next holder this one finished cleanly.
	terr := l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return errors.Join(terr, err, l.f.Close())
}
