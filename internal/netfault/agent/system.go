// What the parts change and read in the namespace, behind one small interface so the rule builders test without a kernel.

package agent

// system is the namespace as the parts see it.
type system interface {
	links() ([]string, error)       // interfaces that are up, loopback aside
	addRoot(q qdisc) error          // a root qdisc under chainctl's handle
	deleteRoot(link string) error   // chainctl's root qdisc, if there
	listeners() ([]Listener, error) // listening TCP sockets
	commit(rs *ruleset) error       // the table, atomically; fails if it exists
	deleteTable(name string) error  // the inet table, if there
}

// kernel is the real namespace: netlink for qdiscs, nftables for tables,
// /proc/net for sockets.
type kernel struct{}

func (kernel) links() ([]string, error)       { return upLinks() }
func (kernel) addRoot(q qdisc) error          { return addRoot(q) }
func (kernel) deleteRoot(link string) error   { return deleteRoot(link) }
func (kernel) listeners() ([]Listener, error) { return Listeners() }
func (kernel) commit(rs *ruleset) error       { return commitTable(rs) }
func (kernel) deleteTable(name string) error  { return deleteTable(name) }
