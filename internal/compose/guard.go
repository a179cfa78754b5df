// Guards around compose-go: input it would panic on is refused at its line first, and any other panic becomes an error.

package compose

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// checkEnvFileEntries refuses what compose-go v2.16.2 panics on (found by
// FuzzLoadCompose): an env_file entry that is null, or a mapping whose
// path is not a file name.
func (p *problems) checkEnvFileEntries() {
	eachService(p.src.files[:p.src.main], func(f *source, svcAt []step, v *yaml.Node) bool {
		fieldEntries(v, "env_file", svcAt, func(e *yaml.Node, at []step) {
			if e.Kind == yaml.MappingNode {
				path := field(e, "path")
				if path == nil || path.Kind != yaml.ScalarNode || path.Tag == "!!null" {
					p.atFile(append(at, key("path")), f, render(append(at, key("path"))), "want the env file's name")
				}
				return
			}
			if e.Kind == yaml.ScalarNode && e.Tag == "!!null" {
				p.atFile(at, f, render(at), "want the env file's name, or a mapping with its path")
			}
		})
		return true
	})
}

// guarded runs a compose-go call; a panic in it is an error naming the
// file, never a crash of chainctl.
func (p *problems) guarded(call func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compose-go could not read this file (it failed with: %v); please report it", r)
		}
	}()
	return call()
}
