// The raw env_file format (format: raw), which docker compose adds to compose-go: each line KEY=VALUE taken as written, as docker run --env-file reads it.

package compose

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/dotenv"
)

// rawFormat is the env_file format docker compose registers for files
// read without interpolation.
const rawFormat = "raw"

var registerRaw sync.Once

// registerRawFormat makes compose-go read env_file entries with format:
// raw, as docker compose does; compose-go keeps its formats in a
// registry of its own, so this is done once per process.
func registerRawFormat() {
	registerRaw.Do(func() { dotenv.RegisterFormat(rawFormat, readRawEnv) })
}

// utf8BOM may open the file; it is not part of the first key.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readRawEnv reads a raw env file into vars. Leading white space is
// dropped; empty lines and lines starting with # are skipped. KEY=VALUE
// is taken as written: no interpolation, no quotes, no escapes, trailing
// white space kept. KEY alone takes its value from lookup (the files read
// before, then the project's environment) and is left out without one.
// A problem names the file and the line, in the form compose-go's own
// env files use ("failed to read FILE: line N: ...").
func readRawEnv(r io.Reader, filename string, vars map[string]string, lookup func(string) (string, bool)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, topology.MaxFileBytes)
	for n := 1; sc.Scan(); n++ {
		b := sc.Bytes()
		if n == 1 {
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		if !utf8.Valid(b) {
			return fmt.Errorf("failed to read %s: line %d: not UTF-8 text", filename, n)
		}
		line := strings.TrimLeftFunc(string(b), unicode.IsSpace)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, hasValue := strings.Cut(line, "=")
		switch {
		case k == "":
			return fmt.Errorf("failed to read %s: line %d: no variable name before the =", filename, n)
		case strings.ContainsAny(k, " \t\x00"):
			return fmt.Errorf("failed to read %s: line %d: variable name %q holds white space", filename, n, k)
		case hasValue:
			vars[k] = v
		default:
			if val, ok := lookup(k); ok {
				vars[k] = val
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("failed to read %s: %w", filename, err)
	}
	return nil
}
