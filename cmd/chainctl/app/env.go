// The environment, read once when chainctl starts: nothing below cmd/ reads it.

package app

import (
	"os"
	"path/filepath"
	"time"

	"github.com/chainctl/chainctl/internal/lock"
)

// env is what chainctl takes from the environment. The Docker client's own
// variables (DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY,
// DOCKER_API_VERSION) are read by client.FromEnv, which options passes
// down.
type env struct {
	project      string        // $CHAINCTL_PROJECT
	apiTimeout   time.Duration // $CHAINCTL_API_TIMEOUT (0: the default)
	dumbTerminal bool          // $TERM=dumb: no live progress
	lockDir      string        // under $TMPDIR
	workDir      string        // where a compose file is looked for
	dockerConfig string        // $DOCKER_CONFIG, else ~/.docker: registry credentials
	lookup       func(string) (string, bool)
}

func readEnv() env {
	e := env{
		project:      os.Getenv("CHAINCTL_PROJECT"),
		dumbTerminal: os.Getenv("TERM") == "dumb",
		lockDir:      lock.DefaultDir(os.TempDir()),
		lookup:       os.LookupEnv,
		dockerConfig: os.Getenv("DOCKER_CONFIG"),
	}
	e.workDir, _ = os.Getwd()
	if e.dockerConfig == "" {
		if home, err := os.UserHomeDir(); err == nil {
			e.dockerConfig = filepath.Join(home, ".docker")
		}
	}
	if d, err := time.ParseDuration(os.Getenv("CHAINCTL_API_TIMEOUT")); err == nil && d > 0 {
		e.apiTimeout = d
	}
	return e
}
