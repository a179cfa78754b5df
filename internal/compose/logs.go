// compose-go's warnings, which it logs through logrus, turned into the load's notes instead of lines on stderr.

package compose

import (
	"io"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
)

// captureMu makes one load at a time own logrus' standard logger, the one
// compose-go logs to.
var captureMu sync.Mutex

// captureWarnings sends compose-go's log entries to note until the
// returned function restores the logger. Its `version` warning is left
// out: the loader words that note itself, once per file and load.
func captureWarnings(note func(format string, args ...any)) (restore func()) {
	captureMu.Lock()
	std := logrus.StandardLogger()
	out := std.Out
	std.SetOutput(io.Discard)
	hook := &noteHook{note: note}
	old := std.ReplaceHooks(logrus.LevelHooks{})
	std.AddHook(hook)
	return func() {
		std.ReplaceHooks(old)
		std.SetOutput(out)
		captureMu.Unlock()
	}
}

// noteHook turns warnings (and worse) into notes.
type noteHook struct {
	note func(format string, args ...any)
}

func (h *noteHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (h *noteHook) Fire(e *logrus.Entry) error {
	if !strings.Contains(e.Message, "`version` is obsolete") {
		h.note("%s", e.Message)
	}
	return nil
}
