package lock

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestSecondAcquireFailsNamingTheHolder(t *testing.T) {
	project := "locktest-" + strconv.Itoa(os.Getpid())
	l, err := Acquire("unix:///test.sock", project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release() })
	_, err = Acquire("unix:///test.sock", project)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("second Acquire: err = %v, want ErrBusy", err)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error %q does not name the holder's pid", err)
	}
	other, err := Acquire("unix:///other.sock", project)
	if err != nil {
		t.Fatalf("same project on another engine must not be blocked: %v", err)
	}
	other.Release()
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire("unix:///test.sock", project)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}
