// The recorded topology: how a topology is encoded and named when a backend stores it on the engine.

package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/chainctl/chainctl/internal/topology"
)

// The topology a project was last brought up with is recorded on the
// engine (docker: on a volume's labels; swarm: as a config), so that ps,
// break, heal, call and down work without the file and can recreate a
// removed container or service exactly.

// EncodeTopology is the recorded form of t and its short hash, which names
// the revision.
func EncodeTopology(t *topology.Topology) (raw []byte, hash string, err error) {
	raw, err = json.Marshal(t)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(raw)
	return raw, hex.EncodeToString(sum[:6]), nil
}

// DecodeTopology reads a recorded topology.
func DecodeTopology(raw []byte) (*topology.Topology, error) {
	t := &topology.Topology{}
	if err := json.Unmarshal(raw, t); err != nil {
		return nil, err
	}
	return t, nil
}

// RecordName names one revision of a project's record: <project>-spec-<hash>.
func RecordName(project, hash string) string {
	return fmt.Sprintf("%s-spec-%s", project, hash)
}
