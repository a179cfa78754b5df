// Collecting a load's problems, each located in its source file, and its notes.

package compose

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
)

// problems collects every problem of one load, located by path in the
// source files, and the notes for stderr.
type problems struct {
	src   *sources
	errs  []*yamlnode.Error
	order map[*yamlnode.Error]int // index of the problem's file, for sorting
	notes []string
}

func newProblems(src *sources) *problems {
	return &problems{src: src, order: map[*yamlnode.Error]int{}}
}

// at records a problem at path (rendered in the message as chainctl does).
func (p *problems) at(path []step, format string, args ...any) {
	p.atFile(path, nil, render(path), fmt.Sprintf(format, args...))
}

// atFile records a problem found at path, preferring the file compose-go
// named; shown is the path as the message gives it.
func (p *problems) atFile(path []step, prefer *source, shown, msg string) {
	l := p.src.locate(path, prefer)
	p.add(&yamlnode.Error{File: l.file.name, Line: l.line, Path: shown, Msg: oneLine(msg)}, slices.Index(p.src.files, l.file))
}

// add records a located problem once; order is its file's index.
func (p *problems) add(e *yamlnode.Error, order int) {
	for _, old := range p.errs {
		if *old == *e {
			return // compose-go and the mapping may see one problem twice
		}
	}
	p.errs = append(p.errs, e)
	p.order[e] = order
}

// oneLine keeps one problem to one line: compose-go's messages may span
// several.
func oneLine(msg string) string {
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// note records a warning once.
func (p *problems) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if !slices.Contains(p.notes, n) {
		p.notes = append(p.notes, n)
	}
}

// err returns the problems in file order, then line order, joined; nil
// when there are none.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	sort.SliceStable(p.errs, func(i, j int) bool {
		a, b := p.errs[i], p.errs[j]
		if p.order[a] != p.order[b] {
			return p.order[a] < p.order[b]
		}
		return a.Line < b.Line
	})
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}
