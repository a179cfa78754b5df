// Shell words: a command string split into words with shell quoting, as compose does.

package topology

import (
	"errors"
	"fmt"

	"github.com/mattn/go-shellwords"
)

// splitWords splits a command string into words with shell quoting, as
// compose does, and expands nothing ($VAR was interpolated before; no
// backticks). A shell operator (; | & < >) would silently cut the command
// short, so it is an error: a command that needs a shell says so with
// [sh, -c, "..."].
func splitWords(s string) ([]string, error) {
	p := shellwords.NewParser()
	words, err := p.Parse(s)
	if err != nil {
		return nil, errors.New("unbalanced quote or trailing backslash")
	}
	if p.Position >= 0 {
		return nil, fmt.Errorf("shell operator %q at offset %d: write the command as a list [sh, -c, \"...\"]", s[p.Position], p.Position)
	}
	if len(words) == 0 {
		return nil, nil
	}
	return words, nil
}
